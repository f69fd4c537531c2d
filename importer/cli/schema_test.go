package cli

import (
	"reflect"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// The org's schema types custom fields: these run cli.Main against the
// simulator, whose schemas.aggregated.get serves custom fields of every
// type and whose works.create checks them by its own rules.

const typedCSV = "Summary,Issue key,Story Points,Effort,Found,Escalated,Region,Tier\n" +
	"Printer on fire,BILL-1,3.0,1.5,2024-03-01,2024-03-01 14:30,emea,silver\n" +
	"Paper jam,BILL-2,5,0.25,2024-03-02,2024-03-02T09:00:00Z,APAC,Gold\n"

const typedMapping = `type: issue
key: Issue key
timezone: Europe/Berlin
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
  Story Points: custom_fields.tnt__story_points
  Effort: custom_fields.tnt__effort_days
  Found: custom_fields.tnt__found_on
  Escalated: custom_fields.tnt__escalated_at
  Region: custom_fields.tnt__region
  Tier: custom_fields.tnt__tier
defaults:
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
`

func TestTheOrgsSchemaTypesCustomFieldsWithoutAs(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "typed.csv", typedCSV)
	m := writeFile(t, dir, "typed.yaml", typedMapping)
	if res := run(t, sim.URL, nil, "validate", csvPath, "--mapping", m); res.code != ExitOK || res.num("valid") != 2 {
		t.Fatalf("validate: exit %d valid %d, want 0 and 2:\n%s", res.code, res.num("valid"), res.stderr)
	}
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", m)
	if res.code != ExitOK || res.num("created") != 2 {
		t.Fatalf("import: exit %d created %d, want 0 and 2:\n%s", res.code, res.num("created"), res.stderr)
	}
	want := map[string]map[string]any{
		"BILL-1": {"tnt__external_id": "BILL-1", "tnt__story_points": float64(3), "tnt__effort_days": 1.5, "tnt__found_on": "2024-03-01",
			"tnt__escalated_at": "2024-03-01T13:30:00Z", "tnt__region": "EMEA", "tnt__tier": float64(2)},
		"BILL-2": {"tnt__external_id": "BILL-2", "tnt__story_points": float64(5), "tnt__effort_days": 0.25, "tnt__found_on": "2024-03-02",
			"tnt__escalated_at": "2024-03-02T09:00:00Z", "tnt__region": "APAC", "tnt__tier": float64(1)},
	}
	for _, w := range sim.Works() {
		key, _ := w.CustomFields["tnt__external_id"].(string)
		if !reflect.DeepEqual(w.CustomFields, want[key]) {
			t.Errorf("%s: custom fields %v\nwant %v", key, w.CustomFields, want[key])
		}
	}
	wantWorks(t, sim, "BILL-1", "BILL-2")
}

func TestAnAsThatContradictsTheSchemaIsOneMessage(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "typed.csv", typedCSV)
	// No type: every work type's schema is fetched; each says int.
	mapping := strings.Replace(strings.Replace(typedMapping, "type: issue\n", "", 1),
		"Story Points: custom_fields.tnt__story_points", "Story Points: {field: custom_fields.tnt__story_points, as: number}", 1)
	m := writeFile(t, dir, "typed.yaml", mapping)
	for _, cmd := range []string{"validate", "import"} {
		res := run(t, sim.URL, nil, cmd, csvPath, "--mapping", m, "--type", "issue")
		want := `typed.yaml:6:3: column "Story Points" (custom_fields.tnt__story_points): the org's schema says int; the mapping says as: number`
		if res.code != ExitUsage || strings.Count(res.stderr, want) != 1 {
			t.Errorf("%s: exit %d, want 2 with %q once:\n%s", cmd, res.code, want, res.stderr)
		}
	}
	// A type column: the four schemas are fetched, a mistake is still
	// printed once.
	csvTyped := writeFile(t, dir, "kinds.csv", "Kind,Summary,Points\nissue,A,3\nticket,B,4\n")
	mk := writeFile(t, dir, "kinds.yaml", "columns:\n  Kind: type\n  Summary: title\n  Points: custom_fields.tnt__story_pionts\ndefaults: {applies_to_part: PROD-1, owned_by: [DEVU-1]}\n")
	res := run(t, sim.URL, nil, "validate", csvTyped, "--mapping", mk)
	want := `kinds.yaml:4:3: custom_fields.tnt__story_pionts is not a custom field of issue, opportunity, task and ticket works in this org (did you mean custom_fields.tnt__story_points?)`
	if res.code != ExitUsage || strings.Count(res.stderr, "tnt__story_pionts") != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("exit %d, want 2 with %q once:\n%s", res.code, want, res.stderr)
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created; a mapping error sends nothing", n)
	}
}

func TestAsIsNeededOnlyOffline(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "typed.csv", typedCSV)
	m := writeFile(t, dir, "typed.yaml", typedMapping)
	// Without the schema (--schema stock) the cells stay text, and DevRev
	// (here the simulator, by its own rules) refuses them.
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", m, "--schema", "stock")
	if res.code != ExitRowsFailed || res.num("failed") != 2 || !strings.Contains(res.stderr, "customization_validation_error") {
		t.Errorf("--schema stock without as: exit %d failed %d, want 1 and 2 refused by the API:\n%s", res.code, res.num("failed"), res.stderr)
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created", n)
	}
	// With as: on every column, the stock run types them itself.
	withAs := strings.NewReplacer(
		"custom_fields.tnt__story_points", "{field: custom_fields.tnt__story_points, as: int}",
		"custom_fields.tnt__effort_days", "{field: custom_fields.tnt__effort_days, as: number}",
		"custom_fields.tnt__found_on", "{field: custom_fields.tnt__found_on, as: date}",
		"custom_fields.tnt__escalated_at", "{field: custom_fields.tnt__escalated_at, as: timestamp}",
		"Region: custom_fields.tnt__region", "Region: {field: custom_fields.tnt__region, values: {emea: EMEA, APAC: APAC}}",
		"Tier: custom_fields.tnt__tier", "Tier: {field: custom_fields.tnt__tier, as: int, values: {silver: 2, gold: 1}}",
	).Replace(typedMapping)
	m2 := writeFile(t, dir, "as.yaml", withAs)
	res = run(t, sim.URL, nil, "import", csvPath, "--mapping", m2, "--schema", "stock", "--checkpoint", dir+"/as.ck")
	if res.code != ExitOK || res.num("created") != 2 {
		t.Errorf("--schema stock with as: exit %d created %d, want 0 and 2:\n%s", res.code, res.num("created"), res.stderr)
	}
}

func TestFormatOnASchemaDateNeedsNoAs(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "jira.csv", "Summary,Issue key,Found,Story Points\nA,BILL-1,05/Mar/24,3\n")
	m := writeFile(t, dir, "jira.yaml", `type: issue
key: Issue key
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
  Found: {field: custom_fields.tnt__found_on, format: "02/Jan/06"}
  Story Points: custom_fields.tnt__story_points
defaults: {applies_to_part: PROD-1, owned_by: [DEVU-1]}
`)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", m)
	if res.code != ExitOK {
		t.Fatalf("exit %d:\n%s", res.code, res.stderr)
	}
	if ws := sim.Works(); len(ws) != 1 || ws[0].CustomFields["tnt__found_on"] != "2024-03-05" {
		t.Errorf("works %+v, want found_on 2024-03-05", ws)
	}
	// Offline the format cannot apply: a warning says so.
	res = run(t, "", nil, "validate", csvPath, "--mapping", m)
	if want := `warning: column "Found" (custom_fields.tnt__found_on): format "02/Jan/06" unused`; res.code != ExitOK || !strings.Contains(res.stderr, want) {
		t.Errorf("offline: exit %d, want 0 with %q:\n%s", res.code, want, res.stderr)
	}
	// A format on a field the schema does not make a date: one message.
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(readFile(t, m), "Story Points: custom_fields.tnt__story_points", `Story Points: {field: custom_fields.tnt__story_points, format: "2006-01-02"}`, 1))
	res = run(t, sim.URL, nil, "validate", csvPath, "--mapping", bad)
	if want := `bad.yaml:7:3: column "Story Points" (custom_fields.tnt__story_points): format is only for dates, and the org's schema says int`; res.code != ExitUsage || strings.Count(res.stderr, want) != 1 {
		t.Errorf("exit %d, want 2 with %q once:\n%s", res.code, want, res.stderr)
	}
}
