package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/report"
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
		return r.fail(ExitUsage, "--mode %q: must be one of create, upsert, update%s", mode, mapping.DidYouMean(string(mode), mapping.Modes))
	}
	if mode != pipeline.ModeCreate && len(m.KeyColumns()) == 0 && !m.HasIDColumn() {
		return r.fail(ExitUsage, "--mode %s needs to know each row's work again: name the column(s) that identify a row across runs (key: in the mapping, or --key) or map a column to id (ISS-12, a DON); without either, a row is known by a hash of its cells, which changes when a cell changes, so a changed row would look new", mode)
	}
	if r.f.sandbox && mode != pipeline.ModeCreate {
		r.out.warning("--sandbox starts an empty simulator every run, so an upsert finds none of the works an earlier run made (their rows fail: no longer exists): to try a nightly sync, run `devrev-import sandbox` in another terminal and set DEVREV_ENDPOINT and DEVREV_TOKEN as it says")
	}
	if mode == pipeline.ModeUpsert && len(m.KeyColumns()) == 0 {
		r.out.warning("--mode upsert without a key: a row with an empty id cell is created, and known again only by a hash of its cells: if its cells change before its ID is in the file, it is created again (name a key column to avoid it)")
	}
	if r.f.planCSV != "" && !r.dry {
		return r.fail(ExitUsage, "--plan-csv is for dry runs (validate, import --dry-run): it says what an import would do")
	}
	if r.f.noKeyCheck && mode != pipeline.ModeCreate {
		return r.fail(ExitUsage, "--no-key-check is for create mode (upsert and update look every key up)")
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

// planState gives a dry run of upsert or update what the checkpoint says
// earlier runs sent, so its plan is what the import would do; with no
// checkpoint yet there is nothing to compare with. The checkpoint is only
// read: no lock, nothing written.
func (r *importRun) planState(pcfg *pipeline.Config) error {
	path := r.checkpointPath()
	hdr, state, warns, err := checkpoint.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	if pcfg.Mapper, err = rekey(pcfg.Mapper, hdr); err != nil {
		return r.fail(ExitUsage, "checkpoint %s: %v", path, err)
	}
	for _, w := range warns {
		fmt.Fprintf(r.env.Stderr, "warning: checkpoint: %s\n", w)
	}
	fmt.Fprintf(r.env.Stderr, "planning against the checkpoint %s\n", path)
	pcfg.State = state
	return nil
}

// openPlan starts --plan-csv and has the pipeline add to it; the returned
// function finishes it (keeping it only when the plan is complete).
func (r *importRun) openPlan(pcfg *pipeline.Config) (func(complete bool), error) {
	if r.f.planCSV == "" {
		return func(bool) {}, nil
	}
	p, err := report.CreatePlanCSV(r.f.planCSV)
	if err != nil {
		return nil, r.fail(ExitUsage, "%v", err)
	}
	pcfg.Plan = p.Add
	return func(complete bool) {
		if err := p.Close(complete); err != nil {
			r.out.failure(err.Error())
		} else if complete {
			r.out.event(slog.LevelInfo, "plan_csv", "plan: "+p.Path(), "path", p.Path())
		}
	}, nil
}
