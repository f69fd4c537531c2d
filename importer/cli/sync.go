package cli

import (
	"fmt"
	"slices"

	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/mapping"
)

// mode is the run's mode: --mode, else the mapping's mode:, else create.
// An unknown --mode is refused by checkMode; here it reads as given.
func (r *importRun) mode(cfg *mapping.Config) pipeline.Mode {
	switch {
	case r.f.mode != "":
		return pipeline.Mode(r.f.mode)
	case cfg != nil && cfg.Mode != "":
		return pipeline.Mode(cfg.Mode)
	}
	return pipeline.ModeCreate
}

// checkMode refuses, before anything is read or sent, a mode the flags
// and the mapping cannot serve: an unknown one, an upsert or update
// without a way to know a row's work again, the flags of another mode.
func (r *importRun) checkMode(cfg *mapping.Config, m *mapping.Mapper) error {
	mode := r.mode(cfg)
	if !slices.Contains(mapping.Modes, string(mode)) {
		return r.fail(ExitUsage, "--mode %q: must be one of create, upsert, update", mode)
	}
	if mode != pipeline.ModeCreate && len(m.KeyColumns()) == 0 && !m.HasIDColumn() {
		return r.fail(ExitUsage, "--mode %s needs to know each row's work again: name the column(s) that identify a row across runs (key: in the mapping, or --key) or map a column to id (ISS-12, a DON); without either, a row is known by a hash of its cells, which changes when a cell changes, so a changed row would look new", mode)
	}
	if r.f.planCSV != "" && !r.dry {
		return r.fail(ExitUsage, "--plan-csv is for dry runs (validate, import --dry-run): it says what an import would do")
	}
	if r.f.recreateMissing && mode != pipeline.ModeUpsert {
		return r.fail(ExitUsage, "--recreate-missing is for --mode upsert (it creates again a row whose work was deleted in DevRev)")
	}
	return nil
}

// modeHint is said after a create-mode run that found rows changed since
// they were imported.
func modeHint(changed int) string {
	return fmt.Sprintf("%d rows changed since they were imported; --mode upsert updates them", changed)
}
