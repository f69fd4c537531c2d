package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestSandboxServesUntilStopped(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, []string{"sandbox", "--addr", "127.0.0.1:0"}, Env{Stdout: pw, Stderr: io.Discard})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatal("no output")
	}
	url := strings.TrimPrefix(lines.Text(), "DevRev simulator listening on ")
	req, _ := http.NewRequest(http.MethodPost, url+"/dev-users.self", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer sandbox-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("dev-users.self: %d", resp.StatusCode)
	}
	cancel()
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	if c := <-code; c != ExitOK {
		t.Errorf("exit %d", c)
	}
	if !strings.Contains(rest.String(), "served 1 requests") {
		t.Errorf("no stats at the end:\n%s", rest.String())
	}

	// Only loopback addresses are served.
	if c := Main(context.Background(), []string{"sandbox", "--addr", "0.0.0.0:0"}, Env{Stdout: io.Discard, Stderr: io.Discard}); c != ExitUsage {
		t.Errorf("non-loopback --addr: exit %d, want %d", c, ExitUsage)
	}
}
