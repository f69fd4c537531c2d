package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// loadResult is what load prints.
type loadResult struct {
	Requests    int         `json:"requests"`     // requests answered
	Created     int         `json:"created"`      // 201 answers
	ByStatus    map[int]int `json:"by_status"`    // answers by HTTP status
	Seconds     float64     `json:"seconds"`      // the POST loop alone
	PrepSeconds float64     `json:"prep_seconds"` // reading, mapping and marshalling the bodies (untimed by Seconds)
}

// loadCmd parses the load flags, builds the bodies and posts them.
func loadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "simulator base URL, e.g. http://127.0.0.1:8089 (required)")
	workers := fs.Int("workers", 8, "concurrent requests")
	n := fs.Int("n", 50000, "rows to post")
	file := fs.String("file", "", "CSV or XLSX file whose rows become the bodies (required)")
	mappingPath := fs.String("mapping", "", "mapping for -file (default: header names are field names)")
	token := fs.String("token", simulator.DefaultToken, "bearer token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" || *file == "" || *workers < 1 || *n < 1 || fs.NArg() > 0 {
		return fmt.Errorf("load: -url and -file are required, -workers and -n must be positive")
	}
	start := time.Now()
	bodies, err := buildBodies(*file, *mappingPath, *n)
	if err != nil {
		return err
	}
	prep := time.Since(start)
	res, err := postAll(ctx, strings.TrimRight(*url, "/")+"/works.create", *token, bodies, *workers)
	if err != nil {
		return err
	}
	res.PrepSeconds = prep.Seconds()
	return printJSON(stdout, res)
}

// buildBodies maps the first n rows of file and marshals each Work exactly
// as the importer does (json.Marshal of a mapping.Work). Every row must be
// valid: the floor must post the same bodies the importer posts.
func buildBodies(file, mappingPath string, n int) ([][]byte, error) {
	var cfg *mapping.Config
	if mappingPath != "" {
		c, err := mapping.Load(mappingPath)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		cfg = c
	}
	r, err := source.Open(file, source.Options{})
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer r.Close()
	m, _, err := mapping.Compile(cfg, r.Header(), mapping.Options{})
	if err != nil {
		return nil, fmt.Errorf("load: compile mapping for %s: %w", file, err)
	}
	bodies := make([][]byte, 0, n)
	for len(bodies) < n {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		res := m.Map(row)
		if len(res.Problems) > 0 {
			return nil, fmt.Errorf("load: %s row %d is invalid: %v", file, row.Number, res.Problems[0])
		}
		b, err := json.Marshal(res.Work)
		if err != nil {
			return nil, fmt.Errorf("load: marshal row %d: %w", row.Number, err)
		}
		bodies = append(bodies, b)
	}
	if len(bodies) < n {
		return nil, fmt.Errorf("load: %s has %d rows, fewer than -n %d", file, len(bodies), n)
	}
	return bodies, nil
}

// postAll posts every body once to url from workers goroutines sharing one
// keep-alive client, reading each answer to the end. It is the floor for
// the importer's HTTP work: no mapping, no limiter, no journal, no retries.
func postAll(ctx context.Context, url, token string, bodies [][]byte, workers int) (loadResult, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = workers
	tr.MaxIdleConnsPerHost = workers
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()

	var (
		next     atomic.Int64
		mu       sync.Mutex
		byStatus = map[int]int{}
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[int]int{}
			var err error
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					break
				}
				var status int
				if status, err = post(ctx, client, url, token, bodies[i]); err != nil {
					break
				}
				local[status]++
			}
			mu.Lock()
			defer mu.Unlock()
			for s, c := range local {
				byStatus[s] += c
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return loadResult{}, fmt.Errorf("load: %w", err)
	}
	res := loadResult{ByStatus: byStatus, Created: byStatus[http.StatusCreated], Seconds: elapsed.Seconds()}
	for _, c := range byStatus {
		res.Requests += c
	}
	return res, nil
}

// post sends one body and drains the answer.
func post(ctx context.Context, client *http.Client, url, token string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("load: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("load: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("load: read answer: %w", err)
	}
	return resp.StatusCode, nil
}
