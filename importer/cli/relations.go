package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/relations"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// relRun is a run's link and comment checks: the index the pipeline feeds
// every mapped row, and the comments file (--comments), opened before any
// row so that a missing file or column stops the run at once.
type relRun struct {
	ix       *relations.Index
	comments *relations.CommentsFile
	keyField string
	addErr   error // the first error of Index.Add (a spill file that cannot be written)

	rep          *relations.Report
	commentMsgs  []string // problems of the comments file's rows (the first ones)
	commentProbs int
}

// startRelations sets up the checks when the mapping has link or comment
// columns or --comments is given; nil otherwise.
func (r *importRun) startRelations(pcfg *pipeline.Config) (*relRun, error) {
	if !pcfg.Mapper.HasRelations() && r.f.comments == "" {
		return nil, nil
	}
	rr := &relRun{keyField: pcfg.Mapper.KeyField()}
	if r.f.comments != "" {
		opt := source.Options{Sheet: r.f.commentsSheet, MaxCellBytes: r.f.maxCellBytes}
		cf, err := relations.OpenComments(r.f.comments, opt, r.cfg, r.location())
		if err != nil {
			return nil, r.fail(ExitUsage, "--comments %v", err)
		}
		rr.comments = cf
	}
	opt := relations.Options{Where: pcfg.Source.Where, Known: r.knownKeys(pcfg.State)}
	if rr.keyField != "" {
		opt.KeyField = "custom_fields." + rr.keyField
	}
	rr.ix = relations.New(opt)
	pcfg.Relations = func(row source.Row, res mapping.Result) {
		if err := rr.ix.Add(row, res); err != nil && rr.addErr == nil {
			rr.addErr = err
		}
	}
	return rr, nil
}

// location is --timezone's zone (nil: the mapping's, else UTC).
func (r *importRun) location() *time.Location {
	if r.f.timezone == "" {
		return nil
	}
	loc, _ := time.LoadLocation(r.f.timezone) // compile checked it
	return loc
}

// knownKeys says whether a key names a work an earlier run created: from
// the run's checkpoint state, else (validate) from the checkpoint file
// next to FILE, read the first time a reference is not in the file.
func (r *importRun) knownKeys(state *checkpoint.State) func(string) bool {
	var once sync.Once
	return func(key string) bool {
		once.Do(func() {
			if state != nil {
				return
			}
			_, st, _, err := checkpoint.Read(r.checkpointPath())
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				r.out.warning(fmt.Sprintf("links to earlier runs unchecked: %v", err))
			}
			state = st
		})
		e, ok := state.Last(key)
		return ok && e.ID != ""
	}
}

// close releases the comments file and the index's spill file.
func (rr *relRun) close() {
	if rr == nil {
		return
	}
	if rr.comments != nil {
		rr.comments.Close()
	}
	rr.ix.Close()
}

// checkRelations reads the comments file and checks every reference, once:
// an import's second phase does it before it sends (so a link closing a
// parent cycle is not created), validate after its rows.
func (r *importRun) checkRelations(rr *relRun) error {
	if rr.rep != nil {
		return nil
	}
	if rr.addErr != nil {
		return r.fail(ExitUsage, "%v", rr.addErr)
	}
	if rr.comments != nil {
		msgs, n, err := relations.Check(rr.comments, rr.ix, 20)
		if err != nil {
			return r.fail(ExitUsage, "--comments %v", err)
		}
		rr.commentMsgs, rr.commentProbs = msgs, n
	}
	rep, err := rr.ix.Finish()
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	rr.rep = rep
	return nil
}

// finishRelations checks every reference (unless the second phase did)
// and puts the counts into the summary.
func (r *importRun) finishRelations(rr *relRun, s *report.Summary) error {
	if rr == nil {
		return nil
	}
	if err := r.checkRelations(rr); err != nil {
		return err
	}
	rep := rr.rep
	sent := s.Relations // the import's second phase: what it sent
	s.Relations = &report.RelationCounts{Links: rep.Links, Comments: rep.Comments, Unresolved: rep.Unresolved, Warnings: rep.Warnings,
		LinkProblems: rep.LinkErrors, CommentProblems: rep.CommentErrors + rr.commentProbs}
	if sent != nil {
		c := s.Relations
		c.LinksCreated, c.LinksFailed, c.LinksSkipped = sent.LinksCreated, sent.LinksFailed, sent.LinksSkipped
		c.CommentsCreated, c.CommentsFailed, c.CommentsSkipped = sent.CommentsCreated, sent.CommentsFailed, sent.CommentsSkipped
	}
	return nil
}

// printRelations writes the link and comment problems after the rows'
// (events "link_problem", "comment_problem"; depth warnings as warnings),
// at most 20 of each, and says what could not be checked.
func (r *importRun) printRelations(rr *relRun) {
	if rr == nil || rr.rep == nil {
		return
	}
	shown := 0
	for _, p := range rr.rep.Problems {
		switch {
		case p.Warning:
			r.out.warning(p.Text)
		case shown < 20:
			shown++
			name := "link_problem"
			if p.Comment {
				name = "comment_problem"
			}
			r.out.event(slog.LevelInfo, name, p.Text)
		}
	}
	if more := rr.rep.Errors() - shown; more > 0 {
		r.out.event(slog.LevelInfo, "link_problems_more", fmt.Sprintf("... and %s more link and comment problems", report.Thousands(more)), "count", more)
	}
	for _, m := range rr.commentMsgs {
		r.out.event(slog.LevelInfo, "comment_problem", m)
	}
	if more := rr.commentProbs - len(rr.commentMsgs); more > 0 {
		r.out.event(slog.LevelInfo, "comment_problems_more", fmt.Sprintf("... and %s more problems in %s", report.Thousands(more), r.f.comments), "count", more)
	}
	if n := rr.rep.Unresolved; n > 0 && r.dry {
		// An import has looked them up by now (its links phase reports
		// each one it could not find); a validate says what it will do.
		r.out.warning(fmt.Sprintf("%s links and comments name keys that are neither in this file nor in an earlier run: import looks them up in DevRev by custom_fields.%s", report.Thousands(n), rr.keyField))
	}
}
