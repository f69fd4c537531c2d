package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// machine describes where the numbers were measured.
type machine struct {
	CPUs    int
	Model   string
	Go      string
	LoadAvg string
}

// describeMachine reads the CPU model and load average from /proc (where
// there is one) and asks the go command for its version.
func describeMachine(ctx context.Context) machine {
	m := machine{CPUs: runtime.NumCPU(), Model: "unknown CPU", Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.Go = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// Targets of issue 6 (and issue 4 for the checkpoint), as issues 13 and
// 15 tightened them.
const (
	targetCSVRatio  = 2.0   // issue 15: CPU time of validate / the bare encoding/csv loop
	targetXLSXRatio = 0.2   // issue 15: ≥ 5x faster than the bare excelize loop
	targetRSS       = 150e6 // bytes
	targetXLSXRSS   = 64 << 20
	targetFlat      = 1.25 // 1M-row peak RSS at most this times the small file's
	targetImport    = 0.80 // issue 15
	targetSync      = 2.0  // issue 13: upsert over unchanged rows / validate, wall time
	targetSyncCk    = 2.0  // issue 13: checkpoint after an all-rows sync / create-only
	targetShare     = 0.97
	targetFsyncCost = 0.05
)

// median returns the run with the median wall time (the lower middle one
// for an even count).
func median(runs []readRun) readRun {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b readRun) int { return int(a.Wall - b.Wall) })
	return s[(len(s)-1)/2]
}

// medianRate returns the run with the median rate (the lower middle one
// for an even count).
func medianRate(runs []importRun) importRun {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b importRun) int { return cmp.Compare(a.rate(), b.rate()) })
	return s[(len(s)-1)/2]
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func met(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**MISSED**"
}

// renderMarkdown writes the result table.
func renderMarkdown(r *results) string {
	c := r.Cfg
	var sb strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&sb, format, args...) }
	var targets [][3]string
	target := func(what, measured string, ok bool) { targets = append(targets, [3]string{what, measured, met(ok)}) }

	p("# devrev-import benchmark\n\n")
	p("- date: %s\n", r.Date.UTC().Format("2006-01-02 15:04 MST"))
	p("- machine: %d CPUs (nproc), %s, load average at start %s\n", r.Machine.CPUs, r.Machine.Model, orNA(r.Machine.LoadAvg))
	p("- Go: %s\n", r.Machine.Go)
	p("- whole bench: %s (`scripts/bench`)\n\n", r.Total.Round(time.Second))
	p("Every figure is a child process run one after the other in this one run: wall time from start to exit, CPU = user + system,\n")
	p("peak RSS = the child's rusage maxrss. The machine is shared, so absolute times are noisy; the ratios compare runs made side by side.\n\n")

	csvFloor, csvTool := median(r.CSVFloor), median(r.CSVTool)
	csvRatio := ratio(csvTool.Wall.Seconds(), csvFloor.Wall.Seconds())
	csvCPURatio := medianRatio(r.CSVTool, r.CSVFloor)
	xlsxRatio := ratio(r.XLSXTool.Wall.Seconds(), r.XLSXFloor.Wall.Seconds())
	p("## 1. Reading and validating %s rows\n\n", thousands(csvTool.Rows))
	p("| file | run | rows | wall | rows/s | CPU | peak RSS | vs floor |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	rr := func(file, name string, x readRun, vs string) {
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", file, name, thousands(x.Rows), secs(x.Wall),
			thousands(int(perSecond(x.Rows, x.Wall))), secs(x.CPU), mb(x.MaxRSS), vs)
	}
	med := ""
	if len(r.CSVFloor) > 1 {
		med = fmt.Sprintf(" (median of %d)", len(r.CSVFloor))
	}
	rr("CSV "+fileSize(c.CSV), "bare `encoding/csv` loop: floor"+med, csvFloor, "1x")
	rr("CSV", "`devrev-import validate`"+med, csvTool, fmt.Sprintf("%.2fx wall, **%.2fx CPU**", csvRatio, csvCPURatio))
	rr("XLSX "+fileSize(c.XLSX), "bare excelize `Rows` loop (`RawCellValue`): floor", r.XLSXFloor, "1x")
	rr("XLSX", "`devrev-import validate`", r.XLSXTool, fmt.Sprintf("**%.2fx**", xlsxRatio))
	sharedRatio := 0.0
	if r.Shared != nil && r.SharedFloor != nil {
		sharedRatio = ratio(r.Shared.Wall.Seconds(), r.SharedFloor.Wall.Seconds())
		rr("XLSX, shared strings "+fileSize(c.XLSXShared), "bare excelize `Rows` loop (`RawCellValue`): floor", *r.SharedFloor, "1x")
		rr("XLSX, shared strings", "`devrev-import validate`", *r.Shared, fmt.Sprintf("**%.2fx**", sharedRatio))
	}
	if len(r.CSVFloor) > 1 {
		p("\nAll CSV pairs (floor / validate, wall; CPU; CPU ratio): ")
		for i := range r.CSVFloor {
			if i > 0 {
				p(", ")
			}
			p("%s / %s; %s / %s; %.2fx", secs(r.CSVFloor[i].Wall), secs(r.CSVTool[i].Wall), secs(r.CSVFloor[i].CPU), secs(r.CSVTool[i].CPU),
				ratio(r.CSVTool[i].CPU.Seconds(), r.CSVFloor[i].CPU.Seconds()))
		}
		p("\n")
	}
	target(fmt.Sprintf("validate %s CSV rows ≤ %.0fx the bare CSV loop (CPU time, median of the pairs' ratios)", thousands(csvTool.Rows), targetCSVRatio),
		fmt.Sprintf("%.2fx (wall %.2fx)", csvCPURatio, csvRatio), csvCPURatio <= targetCSVRatio)
	target(fmt.Sprintf("validate %s XLSX rows ≤ %.1fx the bare excelize loop (≥ %.0fx faster)", thousands(r.XLSXTool.Rows), targetXLSXRatio, 1/targetXLSXRatio),
		fmt.Sprintf("%.2fx", xlsxRatio), xlsxRatio <= targetXLSXRatio)
	if r.Shared != nil {
		target(fmt.Sprintf("validate %s XLSX rows in shared strings ≤ %.1fx the bare excelize loop", thousands(r.Shared.Rows), targetXLSXRatio),
			fmt.Sprintf("%.2fx", sharedRatio), sharedRatio <= targetXLSXRatio)
		target(fmt.Sprintf("validate XLSX in shared strings peak RSS ≤ %d MiB", targetXLSXRSS>>20), mb(r.Shared.MaxRSS),
			r.Shared.MaxRSS > 0 && r.Shared.MaxRSS <= targetXLSXRSS)
	}

	p("\n### Peak RSS, small file vs big file\n\n")
	p("| file | rows | floor RSS | validate RSS | rows | floor RSS | validate RSS | validate growth |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	flat := func(kind string, smallFloor, small *readRun, bigFloor, big readRun, limit int64) {
		rssOK := big.MaxRSS > 0 && big.MaxRSS < limit
		rssTarget := fmt.Sprintf("validate %s peak RSS < %s", kind, mb(limit))
		if small == nil || smallFloor == nil {
			target(rssTarget, mb(big.MaxRSS), rssOK)
			return
		}
		g := ratio(float64(big.MaxRSS), float64(small.MaxRSS))
		p("| %s | %s | %s | %s | %s | %s | %s | %.2fx |\n", kind, thousands(small.Rows), mb(smallFloor.MaxRSS), mb(small.MaxRSS),
			thousands(big.Rows), mb(bigFloor.MaxRSS), mb(big.MaxRSS), g)
		target(rssTarget, mb(big.MaxRSS), rssOK)
		target(fmt.Sprintf("validate %s peak RSS flat from %s to %s rows (≤ %.2fx)", kind, thousands(small.Rows), thousands(big.Rows), targetFlat),
			fmt.Sprintf("%s → %s (%.2fx)", mb(small.MaxRSS), mb(big.MaxRSS), g), small.MaxRSS > 0 && g <= targetFlat)
	}
	flat("CSV", r.SmallCSVFloor, r.SmallCSV, csvFloor, csvTool, targetRSS)
	flat("XLSX", r.SmallXLSXFloor, r.SmallXLSX, r.XLSXFloor, r.XLSXTool, targetXLSXRSS)

	p("\n## 2. Unlimited import: %s rows, simulator without rate limit, 0 ms latency\n\n", thousands(c.ImportRows))
	p("The bare load loop posts the same works.create bodies (built from the same file with the same mapping before its clock starts)\n")
	p("to a fresh simulator at the same concurrency: the HTTP floor. The simulator runs inside benchtool, on the same 2 cores, in both cases.\n")
	p("The import's rate counts its whole process (start, reading, mapping, journal, exit); `own` is the import's summary `duration_s`.\n")
	p("Import / bare is the median of the pairs' ratios (each pair run side by side, as the other targets are judged); the medians' ratio\n")
	p("divides the median import by the median loop, which may come from different moments of a drifting machine.\n\n")
	p("| workers | bare loop works/s | import works/s | import / bare | medians' ratio | import works/s (own) | import CPU | loop CPU | import RSS | loop RSS |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for k := range r.Imports {
		imp, ld := medianRate(r.Imports[k]), medianRate(r.Loads[k])
		q, qm := medianRateRatio(r.Imports[k], r.Loads[k]), ratio(imp.rate(), ld.rate())
		p("| %s | %s | %s | **%.0f%%** | %.0f%% | %s | %s | %s | %s | %s |\n", workersLabel(imp.Workers), thousands(int(ld.rate())), thousands(int(imp.rate())), q*100, qm*100,
			thousands(int(perSecond(imp.Created, imp.Own))), secs(imp.CPU), secs(ld.CPU), mb(imp.MaxRSS), mb(ld.MaxRSS))
		target(fmt.Sprintf("unlimited import ≥ %.0f%% of the bare loop at %s workers (median of the pairs' ratios)", targetImport*100, workersLabel(imp.Workers)),
			fmt.Sprintf("%.0f%% (medians %s vs %s works/s: %.0f%%)", q*100, thousands(int(imp.rate())), thousands(int(ld.rate())), qm*100), q >= targetImport)
	}
	if len(r.Imports) > 0 && len(r.Imports[0]) > 1 {
		p("\nAll runs, works/s (import / bare loop; the import runs first in pairs 1, 3, 5 ..., the loop in pairs 2, 4 ...): ")
		for k := range r.Imports {
			if k > 0 {
				p("; ")
			}
			p("%s workers:", workersLabel(r.Imports[k][0].Workers))
			for i := range min(len(r.Imports[k]), len(r.Loads[k])) {
				imp, ld := r.Imports[k][i], r.Loads[k][i]
				p(" %s / %s (%.0f%%)", thousands(int(imp.rate())), thousands(int(ld.rate())), ratio(imp.rate(), ld.rate())*100)
			}
		}
		p("\n")
	}
	if len(r.ImportFast) > 0 && len(r.Imports) > 0 {
		disk, fast := medianRate(r.Imports[len(r.Imports)-1]), medianRate(r.ImportFast)
		cost := 1 - ratio(disk.rate(), fast.rate())
		p("\nThe same import at %s workers with the checkpoint on tmpfs (fsync free): %s works/s (median); the journal's fsync costs %.1f%% at full speed\n",
			workersLabel(fast.Workers), thousands(int(fast.rate())), cost*100)
		p("(negative: the disk runs were faster; the difference is noise).\n")
	}

	allowed := float64(c.Limit) / c.Window.Seconds()
	p("\n## 3. Limited import: %d requests per %s window, %s latency, `--max-duration %s`, %s workers, `--rate auto`\n\n",
		c.Limit, c.Window, c.Latency, c.LimitedFor, workersLabel(c.LimitedWorkers))
	p("Allowed rate: %.0f requests/s. The run starts just after a window boundary. Share = created / (%s × %.0f/s);\n", allowed, c.LimitedFor, allowed)
	p("full-window share = works created in the windows strictly inside the run / (%d × those windows); the target is judged on the lower one.\n\n", c.Limit)
	p("| checkpoint | created | share of allowed rate | full-window share | 429s | 429s after first window | early requests | exit |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, lr := range r.Limited {
		share := ratio(float64(lr.Created), c.LimitedFor.Seconds()*allowed)
		full := ratio(float64(lr.Win.FullCreates), float64(lr.Win.FullWindows*c.Limit))
		p("| %s | %s | **%.1f%%** | %.1f%% (%d full windows) | %d | %d | %d | %d |\n", lr.Label, thousands(lr.Created), share*100, full*100,
			lr.Win.FullWindows, lr.Throttled, lr.Win.LateThrottle, lr.Early, lr.Exit)
		if i == 0 {
			// Judged on the lower of the two: the run's own clock starts a
			// little after the window boundary, so requests it makes before
			// its --max-duration can land in the window after the last
			// full one and lift the plain share above what the windows allowed.
			judged := share
			if lr.Win.FullWindows > 0 {
				judged = min(share, full)
			}
			target(fmt.Sprintf("limited import ≥ %.0f%% of the allowed rate (lower of the two shares)", targetShare*100),
				fmt.Sprintf("%.1f%% (full windows %.1f%%)", share*100, full*100), judged >= targetShare)
			target("limited import: 0 early requests", fmt.Sprint(lr.Early), lr.Early == 0)
			target("limited import, `--rate auto`: no 429 after the first window", fmt.Sprintf("%d (of %d)", lr.Win.LateThrottle, lr.Throttled), lr.Win.LateThrottle == 0)
		}
	}
	for _, lr := range r.Limited {
		p("\nWorks created per window, %s: %s\n", lr.Label, joinInts(lr.Win.PerWindow))
	}
	if len(r.Limited) == 2 {
		disk, ref := r.Limited[0], r.Limited[1]
		cost := 1 - ratio(float64(disk.Created), float64(ref.Created))
		p("\nCheckpoint fsync cost in the limited run: 1 − created(disk) / created(tmpfs) = %.1f%% (negative: the disk run was ahead; the difference is noise).\n", cost*100)
		target("checkpoint (fsync on) costs ≤ 5% of the limited run's throughput", fmt.Sprintf("%.1f%%", cost*100), cost <= targetFsyncCost)
	}

	if y := r.Sync; y != nil {
		renderSync(p, target, y)
	}

	p("\n## Targets\n\n| target | measured | |\n|---|---|---|\n")
	for _, t := range targets {
		p("| %s | %s | %s |\n", t[0], t[1], t[2])
	}
	if r.Micro != "" {
		p("\n## Micro-benchmarks (`go test -bench -benchmem`)\n\n```\n")
		for _, line := range strings.Split(r.Micro, "\n") {
			if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "pkg:") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "go test") {
				p("%s\n", line)
			}
		}
		p("```\n")
	}
	p("\n## Commands\n\n```\n")
	p("# files: gendata csv|xlsx -rows N -out bench-data/works-N.csv|xlsx (go run ./scripts/gendata; see scripts/bench)\n")
	for _, cmd := range r.Commands {
		p("%s\n", cmd)
	}
	p("```\n")
	return sb.String()
}

// joinInts formats a list of counts.
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

// secs formats a duration in seconds with two decimals (one above 100 s).
func secs(d time.Duration) string {
	if d >= 100*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// mb formats bytes in MB (10^6 bytes).
func mb(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/1e6)
}

// fileSize is a file's size in MB, or "" when it cannot be read.
func fileSize(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("(%.0f MB)", float64(st.Size())/1e6)
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// workersLabel names a worker count; 0 is the default, --workers auto.
func workersLabel(n int) string {
	if n == 0 {
		return fmt.Sprintf("auto (loop: %d)", autoLoadWorkers)
	}
	return fmt.Sprint(n)
}

// medianRateRatio is the median over pairs of imports[i]'s rate /
// loads[i]'s (the lower middle one for an even count).
func medianRateRatio(imports, loads []importRun) float64 {
	var rs []float64
	for i := range min(len(imports), len(loads)) {
		rs = append(rs, ratio(imports[i].rate(), loads[i].rate()))
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	return rs[(len(rs)-1)/2]
}

// medianRatio is the median over pairs of a[i].CPU / b[i].CPU.
func medianRatio(a, b []readRun) float64 {
	var rs []float64
	for i := range min(len(a), len(b)) {
		rs = append(rs, ratio(a[i].CPU.Seconds(), b[i].CPU.Seconds()))
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	return rs[(len(rs)-1)/2]
}

// renderSync writes the nightly-sync section (issue 13).
func renderSync(p func(string, ...any), target func(string, string, bool), y *syncResult) {
	p("\n## 4. Nightly sync: %s rows, simulator without limit or latency\n\n", thousands(y.Rows))
	p("A create-only import of the file, then pairs of `import --mode upsert` over the same, unchanged file and `validate` of it;\n")
	p("then every row's title is edited and the file upserted once more (every row updated).\n\n")
	p("| pair | upsert wall | upsert CPU | validate wall | validate CPU | upsert / validate (wall) | upsert RSS |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	var rs []float64
	for i := range y.Upserts {
		u, v := y.Upserts[i], y.Validates[i]
		q := ratio(u.Wall.Seconds(), v.Wall.Seconds())
		rs = append(rs, q)
		p("| %d | %s | %s | %s | %s | %.2fx | %s |\n", i+1, secs(u.Wall), secs(u.CPU), secs(v.Wall), secs(v.CPU), q, mb(u.MaxRSS))
	}
	slices.Sort(rs)
	med := 0.0
	if len(rs) > 0 {
		med = rs[(len(rs)-1)/2]
	}
	if len(y.Resalted) == 2 {
		p("\nAfter a comment was added to the mapping (every row digest salted anew, as after an upgrade of the tool): the first upsert %s wall (CPU %s), comparing every row and adding %s of `verified` lines; the next %s wall (CPU %s).\n",
			secs(y.Resalted[0].Wall), secs(y.Resalted[0].CPU), mb(y.ResaltedCk), secs(y.Resalted[1].Wall), secs(y.Resalted[1].CPU))
	}
	ck := ratio(float64(y.SyncCk), float64(y.CreateCk))
	p("\nCheckpoint: %s after the create-only import, %s after the upsert that changed every row (%.2fx).\n", mb(y.CreateCk), mb(y.SyncCk), ck)
	target(fmt.Sprintf("upsert over %s unchanged rows < %.0fx validate of the file (wall, median of the pairs)", thousands(y.Rows), targetSync),
		fmt.Sprintf("%.2fx", med), med > 0 && med < targetSync)
	target("upsert over unchanged rows sends 0 writes", fmt.Sprintf("%d writes, %s unchanged", y.Writes, thousands(y.Unchanged)), y.Writes == 0)
	target(fmt.Sprintf("checkpoint after a sync of every row ≤ %.0fx the create-only one", targetSyncCk),
		fmt.Sprintf("%.2fx (%s vs %s)", ck, mb(y.SyncCk), mb(y.CreateCk)), ck <= targetSyncCk)
}
