package cli

import (
	"context"
	"fmt"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/relations"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// relateConfig is an import's second phase: the links and comments, sent
// once every row was tried. It reads the file (and the comments file)
// again and the journal as the first phase left it.
func (r *importRun) relateConfig(rr *relRun) *pipeline.RelateConfig {
	rc := &pipeline.RelateConfig{
		Reopen:     func() (source.Reader, error) { return source.Open(r.file, r.opt) },
		Resolve:    rr.ix.Resolve,
		Check:      func() error { return r.checkRelations(rr) },
		Refused:    rr.ix.Refused,
		Works:      func() (*checkpoint.State, error) { return checkpoint.ReadLight(r.ckPath) },
		Visibility: mapping.DefaultVisibility,
	}
	if r.f.comments != "" {
		rc.Comments = func() (pipeline.CommentSource, error) {
			opt := source.Options{Sheet: r.f.commentsSheet, MaxCellBytes: r.f.maxCellBytes}
			return relations.OpenComments(r.f.comments, opt, r.cfg, r.location())
		}
	}
	return rc
}

// checkUnresolved is validate with a token asking DevRev for the keys
// that links and comments name and neither the file nor the checkpoint
// has (the key stored in a custom field): 50 keys a works.list, read-only.
// A key no work carries is a problem, as a dangling reference; one found
// is no longer unresolved.
func (r *importRun) checkUnresolved(ctx context.Context, rr *relRun, pcfg *pipeline.Config, s *report.Summary) error {
	if rr == nil || rr.rep == nil || rr.rep.Unresolved == 0 || pcfg.Client == nil || rr.keyField == "" {
		return nil
	}
	var refs []relations.Unresolved
	if err := rr.ix.EachUnresolved(func(u relations.Unresolved) error { refs = append(refs, u); return nil }); err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	found := map[string]bool{}
	retr := throttle.Retrier{Limiter: pcfg.Limiter}
	for start := 0; start < len(refs); start += 50 {
		var keys []string
		for _, u := range refs[start:min(start+50, len(refs))] {
			keys = append(keys, u.Key)
		}
		works, _, err := pipeline.WorksByKey(ctx, pcfg.Client, retr, rr.keyField, keys)
		if err != nil {
			code, msg := apiFailure("looking the keys links and comments name up in DevRev", err, "")
			return r.fail(code, "%s", msg)
		}
		for k := range works {
			found[k] = true
		}
	}
	for _, u := range refs {
		if found[u.Key] {
			continue
		}
		text := fmt.Sprintf("%s: %q is no row's key in this file nor in an earlier run, and no work in DevRev carries it in custom_fields.%s", u.Where, u.Key, rr.keyField)
		rr.rep.Problems = append(rr.rep.Problems, relations.Problem{Row: u.Row, Text: text, Comment: u.Column == ""})
		if u.Column == "" {
			s.Relations.CommentProblems++
		} else {
			s.Relations.LinkProblems++
		}
	}
	s.Relations.Unresolved = 0 // asked: found, or now a problem
	rr.rep.Unresolved = 0
	return nil
}
