package report

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Summary is the outcome of one run. The JSON form is what --summary-json
// writes for scripts and cron wrappers; String is the line people read.
type Summary struct {
	Rows     int      `json:"rows"`
	Valid    int      `json:"valid"`
	Invalid  int      `json:"invalid"`
	Warnings []string `json:"warnings"`
	Created  int      `json:"created"`
	// Updated counts works updated (--mode upsert, update): rows whose
	// mapped values changed; UpdatedFields how many updates sent each
	// field. Unchanged rows had a work and nothing to send. Changed counts,
	// in create mode, rows already created whose values changed since
	// (--mode upsert would update them). NotFound counts rows of --mode
	// update with no work to update; Ambiguous rows whose key several
	// works carry. In a dry run each says what an import would do.
	Updated       int            `json:"updated"`
	UpdatedFields map[string]int `json:"updated_fields,omitempty"`
	Unchanged     int            `json:"unchanged"`
	Changed       int            `json:"changed"`
	NotFound      int            `json:"not_found"`
	Ambiguous     int            `json:"ambiguous"`
	// Mode is how the run wrote: create, upsert or update.
	Mode         string  `json:"mode,omitempty"`
	Skipped      int     `json:"skipped"`
	Failed       int     `json:"failed"`
	NotAttempted int     `json:"not_attempted"`
	Reconciled   int     `json:"reconciled"`
	Requests     int     `json:"requests"`
	Throttled    int     `json:"throttled"`
	ThrottledS   float64 `json:"throttled_s"`
	DurationS    float64 `json:"duration_s"`
	DryRun       bool    `json:"dry_run"`
	Stopped      string  `json:"stopped,omitempty"`
	ExitCode     int     `json:"exit_code"`
	// Error is why the run ended early or failed ("" for a run that went
	// through): the message printed on stderr.
	Error      string `json:"error,omitempty"`
	ErrorsCSV  string `json:"errors_csv,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"`
	// Ops counts the outcomes of the run's writes per op kind ("create").
	Ops map[string]OpCounts `json:"ops,omitempty"`
	// Relations counts the links and comments of a run whose mapping has
	// link or comment columns, or that reads a comments file; nil otherwise.
	Relations *RelationCounts `json:"relations,omitempty"`
}

// RelationCounts are the links and comments a run found and checked.
type RelationCounts struct {
	Links    int `json:"links"`    // link references of valid rows
	Comments int `json:"comments"` // comments of valid rows and of the comments file
	// LinkProblems counts references that name nothing, self-links,
	// cycles, second parents; CommentProblems the comments file's invalid
	// rows and comments on keys no row has; Warnings hierarchies deeper
	// than 3 levels.
	LinkProblems    int `json:"link_problems"`
	CommentProblems int `json:"comment_problems"`
	Warnings        int `json:"hierarchy_warnings"`
	// Unresolved counts references to keys to look up in DevRev (the key
	// stored in a custom field, neither in the file nor in an earlier run).
	Unresolved int `json:"unresolved"`
	// What an import's second phase did: links and comments made, refused
	// (or naming no work), and already there (recorded, or a comment's
	// external_ref on the work: 409).
	LinksCreated    int `json:"links_created"`
	LinksFailed     int `json:"links_failed"`
	LinksSkipped    int `json:"links_skipped"`
	CommentsCreated int `json:"comments_created"`
	CommentsFailed  int `json:"comments_failed"`
	CommentsSkipped int `json:"comments_skipped"`
}

// Problems counts the link and comment problems (warnings aside).
func (c *RelationCounts) Problems() int {
	if c == nil {
		return 0
	}
	return c.LinkProblems + c.CommentProblems + c.LinksFailed + c.CommentsFailed
}

// OpCounts is how many writes of one kind were performed (done) or
// refused (failed) in a run; for updates also how many rows matched a
// work that needed none (unchanged), and how many writes' answers were
// lost (in doubt).
type OpCounts struct {
	Done      int `json:"done"`
	Failed    int `json:"failed"`
	Unchanged int `json:"unchanged,omitempty"`
	InDoubt   int `json:"in_doubt,omitempty"`
	// Restored counts, in a checkpoint's counts (CheckpointOps), the
	// works an undo put back as they were before its updates.
	Restored int `json:"restored,omitempty"`
}

// WriteJSON writes the summary to path with mode 0600.
func (s Summary) WriteJSON(path string) error {
	if s.Warnings == nil {
		s.Warnings = []string{}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// Line renders the one-line end-of-run summary, for example
// `created 9,870  skipped 0  invalid 12  failed 118  in 16m40s (9.9 rows/s); 3 rate-limit waits (41 s)`.
func (s Summary) Line(d time.Duration) string {
	var b strings.Builder
	if s.DryRun {
		fmt.Fprintf(&b, "rows %s  valid %s  invalid %s", Thousands(s.Rows), Thousands(s.Valid), Thousands(s.Invalid))
		if s.Failed > 0 && s.syncing() {
			fmt.Fprintf(&b, "  failed %s", Thousands(s.Failed)) // duplicates, works not found or of another type
		} else if s.Failed > 0 {
			fmt.Fprintf(&b, "  duplicate keys %s", Thousands(s.Failed))
		}
		if s.syncing() {
			fmt.Fprintf(&b, "; would create %s, update %s", Thousands(s.Created), Thousands(s.Updated))
			if len(s.UpdatedFields) > 0 {
				fmt.Fprintf(&b, " (%s)", FieldCounts(s.UpdatedFields))
			}
			fmt.Fprintf(&b, ", leave %s unchanged", Thousands(s.Unchanged))
		}
	} else {
		fmt.Fprintf(&b, "created %s  ", Thousands(s.Created))
		if s.syncing() {
			fmt.Fprintf(&b, "updated %s  unchanged %s  ", Thousands(s.Updated), Thousands(s.Unchanged))
		}
		fmt.Fprintf(&b, "skipped %s  invalid %s  failed %s", Thousands(s.Skipped), Thousands(s.Invalid), Thousands(s.Failed))
		if s.NotAttempted > 0 {
			fmt.Fprintf(&b, "  not attempted %s", Thousands(s.NotAttempted))
		}
	}
	done := s.Rows
	if !s.DryRun {
		done = s.Created + s.Updated + s.Unchanged + s.Skipped + s.Invalid + s.Failed // rows read but not attempted do not count
	}
	rate := 0.0
	if secs := d.Seconds(); secs > 0 {
		rate = float64(done) / secs
	}
	d = d.Round(time.Second / 10)
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	if c := s.Relations; c != nil && !s.DryRun && c.LinksCreated+c.LinksFailed+c.LinksSkipped+c.CommentsCreated+c.CommentsFailed+c.CommentsSkipped > 0 {
		fmt.Fprintf(&b, "  links created %s, failed %s, already there %s  comments created %s, failed %s, already there %s",
			Thousands(c.LinksCreated), Thousands(c.LinksFailed), Thousands(c.LinksSkipped),
			Thousands(c.CommentsCreated), Thousands(c.CommentsFailed), Thousands(c.CommentsSkipped))
	} else if c != nil {
		fmt.Fprintf(&b, "  links %s  comments %s", Thousands(c.Links), Thousands(c.Comments))
		if c.LinkProblems+c.CommentProblems > 0 {
			fmt.Fprintf(&b, "  link problems %s  comment problems %s", Thousands(c.LinkProblems), Thousands(c.CommentProblems))
		}
	}
	fmt.Fprintf(&b, "  in %s (%.1f rows/s)", d, rate)
	if s.Throttled > 0 {
		fmt.Fprintf(&b, "; %d rate-limit waits (%.0f s)", s.Throttled, s.ThrottledS)
	}
	return b.String()
}

// syncing reports whether the run updates works (--mode upsert, update).
func (s Summary) syncing() bool { return s.Mode == "upsert" || s.Mode == "update" }

// Thousands formats n with comma separators: 9870 -> "9,870".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
