package mapping

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseBool(t *testing.T) {
	tests := []struct {
		in     string
		want   bool
		wantOK bool
	}{
		{"true", true, true}, {"TRUE", true, true}, {"True", true, true},
		{"false", false, true}, {"FALSE", false, true},
		{"yes", true, true}, {"Yes", true, true}, {"no", false, true}, {"NO", false, true},
		{"y", true, true}, {"Y", true, true}, {"n", false, true}, {"N", false, true},
		{"1", true, true}, {"0", false, true},
		{"2", false, false}, {"ja", false, false}, {"on", false, false}, {"truee", false, false}, {"", false, false},
	}
	for _, tt := range tests {
		got, ok := parseBool(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("parseBool(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in     string
		want   float64
		wantOK bool
	}{
		{"12", 12, true}, {"-3.5", -3.5, true}, {"+2", 2, true}, {".5", 0.5, true}, {"5.", 5, true},
		{"1e3", 1000, true}, {"1.5E-2", 0.015, true}, {"12500.500000", 12500.5, true},
		{"0x10", 0, false}, {"inf", 0, false}, {"NaN", 0, false}, {"1_000", 0, false}, {"1,5", 0, false},
		{"1e", 0, false}, {"", 0, false}, {"-", 0, false}, {"1e999", 0, false}, {"12 500", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseNumber(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseProbability(t *testing.T) {
	tests := []struct {
		in     string
		want   float64
		wantOK bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"0.45", 0.45, true}, {"45%", 0.45, true}, {"45 %", 0.45, true},
		{"100%", 1, true}, {"0%", 0, true}, {"12.5%", 0.125, true},
		{"1.2", 0, false}, {"-0.1", 0, false}, {"120%", 0, false}, {"%", 0, false}, {"abc%", 0, false}, {"high", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseProbability(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("parseProbability(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"12", 12, true}, {"-7", -7, true}, {"12.0", 12, true}, {"1e3", 1000, true},
		{"12.5", 0, false}, {"x", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("parseInt(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCanonicalDecimal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12500.50", "12500.5"}, {"12500.5", "12500.5"}, {"12500", "12500"}, {"012500.50", "12500.5"},
		{"+12", "12"}, {"-0", "0"}, {"-0.00", "0"}, {"0", "0"}, {"0.0", "0"}, {".5", "0.5"}, {"5.", "5"},
		{"1.5e3", "1500"}, {"1e-3", "0.001"}, {"-12.340", "-12.34"}, {"100", "100"}, {"1E2", "100"},
		{"0.000012", "0.000012"}, {"123.456e1", "1234.56"},
		{"abc", ""}, {"1,5", ""}, {"", ""}, {"1e500", ""}, {"0x1", ""},
	}
	for _, tt := range tests {
		got, ok := canonicalDecimal(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("canonicalDecimal(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestSplitMoney(t *testing.T) {
	tests := []struct{ in, amount, cur string }{
		{"12500.50 USD", "12500.50", "USD"},
		{"USD 12500.50", "12500.50", "USD"},
		{"eur  12", "12", "eur"},
		{"12", "12", ""},
		{"12 Euro", "12", "Euro"},
	}
	for _, tt := range tests {
		a, c := splitMoney(tt.in)
		if a != tt.amount || c != tt.cur {
			t.Errorf("splitMoney(%q) = %q, %q; want %q, %q", tt.in, a, c, tt.amount, tt.cur)
		}
	}
}

func TestCurrency(t *testing.T) {
	for _, c := range []string{"USD", "EUR", "GBP", "JPY", "CHF", "AED", "ZWG", "XCG", "usd", "Eur"} {
		if got, ok := normCurrency(c); !ok || got != strings.ToUpper(c) {
			t.Errorf("normCurrency(%q) = %q, %v; want accepted", c, got, ok)
		}
	}
	for _, c := range []string{"US", "USDD", "ABC", "HRK", "DEM", "ZZZ", "12A", "", "€"} {
		if _, ok := normCurrency(c); ok {
			t.Errorf("normCurrency(%q) accepted; want refused", c)
		}
	}
	// The table must be sorted, three letters per code, for the binary search.
	if len(currencyCodes)%3 != 0 {
		t.Fatalf("currencyCodes length %d is not a multiple of 3", len(currencyCodes))
	}
	for i := 3; i < len(currencyCodes); i += 3 {
		if currencyCodes[i-3:i] >= currencyCodes[i:i+3] {
			t.Fatalf("currencyCodes not sorted at %q", currencyCodes[i:i+3])
		}
	}
}

func TestEnumIndex(t *testing.T) {
	tests := []struct {
		in   string
		vals []string
		want int
	}{
		{"P1", enumPriority, 1}, {"p3", enumPriority, 3}, {"P4", enumPriority, -1},
		{"Strong Upside", enumForecastCategory, 3}, {"strong-upside", enumForecastCategory, 3}, {"STRONG_UPSIDE", enumForecastCategory, 3},
		{"strongupside", enumForecastCategory, -1},
		{"Twilio SMS", enumChannels, 4}, {"Blocker", enumSeverity, 0}, {"urgent", enumSeverity, -1},
		{"Allow Non Start", enumStageValidation, 0},
	}
	for _, tt := range tests {
		if got := enumIndex(tt.in, tt.vals); got != tt.want {
			t.Errorf("enumIndex(%q) = %d; want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseUenum(t *testing.T) {
	tests := []struct {
		in     string
		vals   []uenumValue
		want   int64
		wantOK bool
	}{
		{"P0", uenumPriorityV2, 1, true}, {"p3", uenumPriorityV2, 4, true}, {"2", uenumPriorityV2, 2, true},
		{"5", uenumPriorityV2, 0, false}, {"0", uenumPriorityV2, 0, false}, {"P4", uenumPriorityV2, 0, false},
		{"Omitted", uenumForecastV2, 1, true}, {"strong upside", uenumForecastV2, 4, true}, {"Strong-Upside", uenumForecastV2, 4, true},
		{"won", uenumForecastV2, 6, true}, {"6", uenumForecastV2, 6, true}, {"7", uenumForecastV2, 0, false}, {"lost", uenumForecastV2, 0, false},
	}
	for _, tt := range tests {
		got, ok := parseUenum(tt.in, tt.vals)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("parseUenum(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		in   string
		kind idKind
		want string // "" = refused
	}{
		{"DEVU-3", idDevUser, "DEVU-3"},
		{"devu-3", idDevUser, "DEVU-3"},
		{"don:identity:dvrv-us-1:devo/0:devu/1", idDevUser, "don:identity:dvrv-us-1:devo/0:devu/1"},
		{"ACC-9", idDevUser, ""},
		{"don:core:dvrv-us-1:devo/0:account/1", idDevUser, ""},
		{"PROD-12", idPart, "PROD-12"}, {"CAPL-1", idPart, "CAPL-1"}, {"FEAT-2", idPart, "FEAT-2"}, {"ENH-3", idPart, "ENH-3"},
		{"don:core:dvrv-us-1:devo/0:product/1", idPart, "don:core:dvrv-us-1:devo/0:product/1"},
		{"don:core:dvrv-us-1:devo/0:capability/1", idPart, "don:core:dvrv-us-1:devo/0:capability/1"},
		{"DEVU-1", idPart, ""},
		{"ACC-9", idAccount, "ACC-9"}, {"don:identity:dvrv-us-1:devo/0:account/9", idAccount, "don:identity:dvrv-us-1:devo/0:account/9"},
		{"REV-AbCdEfGh", idRevOrg, "REV-AbCdEfGh"}, {"don:identity:dvrv-us-1:devo/0:revo/x", idRevOrg, "don:identity:dvrv-us-1:devo/0:revo/x"},
		{"REVU-1", idRevOrg, ""},
		{"TAG-4", idTag, "TAG-4"}, {"don:core:dvrv-us-1:devo/0:tag/4", idTag, "don:core:dvrv-us-1:devo/0:tag/4"}, {"TAGS-4", idTag, ""},
		{"REVU-7", idRevUser, "REVU-7"}, {"REV-7", idRevUser, ""},
		{"ARTIFACT-5", idArtifact, "ARTIFACT-5"}, {"don:core:dvrv-us-1:devo/0:artifact/5", idArtifact, "don:core:dvrv-us-1:devo/0:artifact/5"},
		{"SPRINT-1", idAny, "SPRINT-1"}, {"don:core:dvrv-us-1:devo/example:custom_type_fragment/custom-type-fragment-id", idAny, "don:core:dvrv-us-1:devo/example:custom_type_fragment/custom-type-fragment-id"},
		// malformed
		{"DEVU", idAny, ""}, {"DEVU-", idAny, ""}, {"-3", idAny, ""}, {"DEVU 3", idAny, ""}, {"DE1VU-3", idAny, ""}, {"DEVU-3-4", idAny, ""},
		{"john@example.com", idDevUser, ""}, {"don:", idAny, ""}, {"don:core", idAny, ""}, {"don:core:dvrv-us-1", idAny, ""},
		{"don:core:dvrv-us-1:devo", idAny, ""}, {"don:core:dvrv-us-1:devo/0:", idAny, ""}, {"don:core::devo/0", idAny, ""},
		{"don:core:dvrv-us-1:devo/0:devu/", idAny, ""}, {"don:core:dvrv-us-1:devo/0:devu/1 x", idAny, ""},
	}
	for _, tt := range tests {
		got, ok := checkID(tt.in, tt.kind)
		if ok != (tt.want != "") || (ok && got != tt.want) {
			t.Errorf("checkID(%q, %v) = %q, %v; want %q", tt.in, tt.kind, got, ok, tt.want)
		}
	}
}

func TestIDRule(t *testing.T) {
	if got, want := idRule("owned_by", idDevUser), "is not a dev user ID (owned_by needs DEVU-… or don:…:devu/…)"; got != want {
		t.Errorf("idRule = %q; want %q", got, want)
	}
}

func TestParseDateTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in      string
		layout  string
		loc     *time.Location
		serials bool
		want    string // "" = refused
	}{
		{"2024-03-01T14:30:00Z", "", time.UTC, true, "2024-03-01T14:30:00Z"},
		{"2024-03-01T14:30:00+01:00", "", berlin, true, "2024-03-01T13:30:00Z"},
		{"2024-03-01T14:30:00-05:30", "", time.UTC, true, "2024-03-01T20:00:00Z"},
		{"2024-03-01T14:30:00.250Z", "", time.UTC, true, "2024-03-01T14:30:00.25Z"},
		{"2024-03-01", "", time.UTC, true, "2024-03-01T00:00:00Z"},
		{"2024-03-01", "", berlin, true, "2024-02-29T23:00:00Z"},
		{"2024-07-01", "", berlin, true, "2024-06-30T22:00:00Z"}, // summer time
		{"2024-03-01 14:30", "", berlin, true, "2024-03-01T13:30:00Z"},
		{"2024-03-01 14:30:05", "", berlin, true, "2024-03-01T13:30:05Z"},
		{"2024-03-01T14:30", "", time.UTC, true, "2024-03-01T14:30:00Z"},
		{"01.03.2024 14:30", "02.01.2006 15:04", berlin, false, "2024-03-01T13:30:00Z"},
		{"2024-03-01", "02.01.2006 15:04", berlin, false, "2024-02-29T23:00:00Z"}, // ISO still accepted
		{"03/01/2024", "01/02/2006", time.UTC, false, "2024-03-01T00:00:00Z"},
		{"45352", "", time.UTC, true, "2024-03-01T00:00:00Z"},
		{"45352.5", "", time.UTC, true, "2024-03-01T12:00:00Z"},
		{"45352", "", berlin, true, "2024-02-29T23:00:00Z"},
		{"1", "", time.UTC, true, "1900-01-01T00:00:00Z"},
		{"59", "", time.UTC, true, "1900-02-28T00:00:00Z"},
		{"61", "", time.UTC, true, "1900-03-01T00:00:00Z"},
		{"2958465", "", time.UTC, true, "9999-12-31T00:00:00Z"},
		{"45352", "02.01.2006", time.UTC, false, ""}, // no serials with a format
		{"0", "", time.UTC, true, ""},
		{"2958466", "", time.UTC, true, ""},
		{"20240301", "", time.UTC, true, ""},
		{"2024-02-30", "", time.UTC, true, ""},
		{"2024-13-01", "", time.UTC, true, ""},
		{"2024-03-01T25:00", "", time.UTC, true, ""},
		{"2024-03-01Z", "", time.UTC, true, ""},
		{"2024-03-01T14:30:00+0100", "", time.UTC, true, ""},
		{"01.03.2024", "", time.UTC, true, ""},
		{"tomorrow", "", time.UTC, true, ""},
	}
	for _, tt := range tests {
		got, ok := parseDateTime(tt.in, tt.layout, tt.loc, tt.serials)
		if ok != (tt.want != "") || (ok && formatTime(got) != tt.want) {
			t.Errorf("parseDateTime(%q, %q, %v) = %s, %v; want %q", tt.in, tt.layout, tt.loc, formatTime(got), ok, tt.want)
		}
	}
}

func TestFromCellDate(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	got, ok := fromCellDate("2024-03-01T14:30:00Z", berlin)
	if !ok || formatTime(got) != "2024-03-01T13:30:00Z" {
		t.Errorf("fromCellDate = %s, %v; want 2024-03-01T13:30:00Z", formatTime(got), ok)
	}
	got, ok = fromCellDate("2024-03-01T14:30:00Z", time.UTC)
	if !ok || formatTime(got) != "2024-03-01T14:30:00Z" {
		t.Errorf("fromCellDate UTC = %s, %v", formatTime(got), ok)
	}
	if _, ok := fromCellDate("garbage", time.UTC); ok {
		t.Error("fromCellDate accepted garbage")
	}
}

func TestCheckLayout(t *testing.T) {
	for _, l := range []string{"02.01.2006 15:04", "2006-01-02", "01/02/2006", "Jan 2, 2006"} {
		if !checkLayout(l) {
			t.Errorf("checkLayout(%q) = false; want true", l)
		}
	}
	for _, l := range []string{"", "dd.mm.yyyy", "15:04", "hello"} {
		if checkLayout(l) {
			t.Errorf("checkLayout(%q) = true; want false", l)
		}
	}
}

func TestCut(t *testing.T) {
	short := strings.Repeat("a", 80)
	if cut(short) != short {
		t.Error("cut changed an 80-character value")
	}
	long := strings.Repeat("ä", 100)
	got := cut(long)
	if n := len([]rune(got)); n != 80 || !strings.HasSuffix(got, "…") {
		t.Errorf("cut gave %d runes %q", n, got)
	}
}

func TestSuggest(t *testing.T) {
	names := fieldNames(fieldTable())
	tests := []struct{ in, want string }{
		{"severty", "severity"}, {"Sevrity", "severity"}, {"titel", "title"}, {"owner_by", "owned_by"},
		{"target_close", "target_close_date"}, {"applies_to", "applies_to_part"}, {"xyzzy", ""}, {"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, names); got != tt.want {
			t.Errorf("suggest(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// atoi64 reads what strconv.ParseInt(s, 10, 64) reads, through its short
// path or not.
func TestAtoi64IsParseInt(t *testing.T) {
	for _, s := range []string{"", "+", "-", "0", "-0", "+7", "007", "12", "-12", "999999999999999999", "-999999999999999999",
		"1000000000000000000", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1_000", " 1", "1 ",
		"1e3", "1.0", "0x10", "١", "--1", "+-1"} {
		got, ok := atoi64(s)
		want, err := strconv.ParseInt(s, 10, 64)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("atoi64(%q) = %d, %v; ParseInt gives %d, %v", s, got, ok, want, err)
		}
	}
}

// enumIndex matches as enumEqual does over canonical values.
func TestEnumIndexIsEnumEqual(t *testing.T) {
	vals := []string{"p0", "strong_upside", "twilio_sms", "won"}
	for _, s := range []string{"p0", "P0", "Strong Upside", "strong-upside", "STRONG_UPSIDE", "strong upside ", "Twilio SMS", "twilio-sms", "WON", "wo", "p_0", "p 0", "strong__upside"} {
		want := -1
		for i, v := range vals {
			if enumEqual(s, v) {
				want = i
				break
			}
		}
		if got := enumIndex(s, vals); got != want {
			t.Errorf("enumIndex(%q) = %d; enumEqual finds %d", s, got, want)
		}
	}
}
