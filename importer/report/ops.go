package report

import (
	"fmt"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// CheckpointOps counts a checkpoint's keys per op kind, by the latest line
// of that kind, in the summary's shape: "create" done = works created and
// not deleted, failed = rows whose create was refused, in doubt = creates
// whose answer was lost; "update" (only when the checkpoint has update
// lines) done = works whose last update was performed, unchanged = works
// found in DevRev and never updated, restored = works an undo put back
// as they were before the checkpoint's updates, failed = refused updates
// (and rows whose work was not found), in doubt = updates whose answer
// was lost.
func CheckpointOps(st *checkpoint.State) map[string]OpCounts {
	var create, update OpCounts
	st.Each(func(e checkpoint.Entry) bool {
		switch {
		case e.Status == checkpoint.Created:
			create.Done++
		case e.Status == checkpoint.Sending:
			create.InDoubt++
		case e.Status == checkpoint.Failed && e.Op == checkpoint.OpCreate:
			create.Failed++
		case e.Status == checkpoint.Failed && e.Op == checkpoint.OpUpdate:
			update.Failed++
		}
		return true
	})
	for _, r := range st.Restores() {
		last := r.LastUpdate
		switch {
		case last == nil && !r.Created:
			update.Unchanged++
		case last == nil:
		case last.Status == checkpoint.Updated && !r.Created && len(r.Pending()) == 0:
			update.Restored++ // an undo put its fields back
		case last.Status == checkpoint.Updated:
			update.Done++
		case last.Status == checkpoint.Updating:
			update.InDoubt++
		case last.Status == checkpoint.Failed:
			update.Failed++
		}
	}
	out := map[string]OpCounts{string(checkpoint.OpCreate): create}
	if update != (OpCounts{}) {
		out[string(checkpoint.OpUpdate)] = update
	}
	return out
}

// OpsLine renders one kind's counts for people:
// `updated 40, unchanged 99,948, failed 0, in doubt 1`.
func OpsLine(kind string, c OpCounts) string {
	done := "created"
	if kind == string(checkpoint.OpUpdate) {
		done = "updated"
	}
	parts := []string{fmt.Sprintf("%s %s", done, Thousands(c.Done))}
	if kind == string(checkpoint.OpUpdate) {
		parts = append(parts, "unchanged "+Thousands(c.Unchanged))
	}
	if c.Restored > 0 {
		parts = append(parts, "restored by undo "+Thousands(c.Restored))
	}
	parts = append(parts, "failed "+Thousands(c.Failed))
	if c.InDoubt > 0 {
		parts = append(parts, "in doubt "+Thousands(c.InDoubt))
	}
	return strings.Join(parts, ", ")
}
