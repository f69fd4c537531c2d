package cli

import (
	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/relations"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// relateConfig is an import's second phase: the links and comments, sent
// once every row was tried. It reads the file (and the comments file)
// again and the journal as the first phase left it.
func (r *importRun) relateConfig(rr *relRun) *pipeline.RelateConfig {
	rc := &pipeline.RelateConfig{
		Reopen:     func() (source.Reader, error) { return source.Open(r.file, r.opt) },
		Resolve:    rr.ix.Resolve,
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
