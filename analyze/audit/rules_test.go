package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesSet(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		check      func(r Rules) bool
		err        string
	}{
		{"max-size", "500MB", func(r Rules) bool { return *r.MaxSize == 500_000_000 }, ""},
		{"max-size", "2GiB", func(r Rules) bool { return *r.MaxSize == 2<<30 }, ""},
		{"max-size", "12345", func(r Rules) bool { return *r.MaxSize == 12345 }, ""},
		{"max-size", "big", nil, `rule max-size: "big" is not a size`},
		{"min-efficiency", "0.95", func(r Rules) bool { return *r.MinEfficiency == 0.95 }, ""},
		{"min-efficiency", "90%", func(r Rules) bool { return *r.MinEfficiency == 0.9 }, ""},
		{"min-efficiency", "90", func(r Rules) bool { return *r.MinEfficiency == 0.9 }, ""},
		{"min-efficiency", "190%", nil, "more than 100%"},
		{"lowestEfficiency", "0.8", func(r Rules) bool { return *r.MinEfficiency == 0.8 }, ""},
		{"highestWastedBytes", "20MB", func(r Rules) bool { return *r.MaxWasted == 20_000_000 }, ""},
		{"highestWastedBytes", "disabled", func(r Rules) bool { return r.MaxWasted == nil }, ""},
		{"highestUserWastedPercent", "0.2", func(r Rules) bool { return *r.MaxUserWastedPercent == 20 }, ""},
		{"max-wasted-percent", "10", func(r Rules) bool { return *r.MaxWastedPercent == 10 }, ""},
		{"max-wasted-percent", "10%", func(r Rules) bool { return *r.MaxWastedPercent == 10 }, ""},
		{"max-wasted-percnt", "10", nil, `unknown rule "max-wasted-percnt" (did you mean "max-wasted-percent"`},
	} {
		var r Rules
		err := r.Set(tc.key, tc.value)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Set(%s, %s) = %v, want error containing %q", tc.key, tc.value, err, tc.err)
			}
			continue
		}
		if err != nil || !tc.check(r) {
			t.Errorf("Set(%s, %s): %v, rules %+v", tc.key, tc.value, err, r)
		}
	}
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	// dive's documented .dive-ci, verbatim.
	dive := write(".dive-ci", `rules:
  # If the efficiency is measured below X%, mark as failed.
  # Expressed as a ratio between 0-1.
  lowestEfficiency: 0.95

  # If the amount of wasted space is at least X or larger than X, mark as failed.
  # Expressed in B, KB, MB, and GB.
  highestWastedBytes: 20MB

  # If the amount of wasted space makes up for X% or more of the image, mark as failed.
  # Note: the base image layer is NOT included in the total image size.
  # Expressed as a ratio between 0-1; fails if the threshold is met or crossed.
  highestUserWastedPercent: 0.20
`)
	var r Rules
	if err := LoadRules(dive, &r); err != nil {
		t.Fatal(err)
	}
	if *r.MinEfficiency != 0.95 || *r.MaxWasted != 20_000_000 || *r.MaxUserWastedPercent != 20 || r.MaxSize != nil {
		t.Errorf("dive rules read as %+v", r)
	}
	for body, want := range map[string]string{
		"rules:\n  max-sise: 1GB\n": `line 2: unknown rule "max-sise" (did you mean "max-size"?)`,
		"rulez:\n  max-size: 1GB\n": `unknown key "rulez" (did you mean "rules"?)`,
		"rules:\n  max-size: [1]\n": "line 2: rule max-size needs a single value",
		"rules: [\n":                "not valid YAML",
	} {
		var r Rules
		err := LoadRules(write("bad.yaml", body), &r)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
}

func TestRulesEvaluate(t *testing.T) {
	a := &Audit{Totals: AuditTotals{UncompressedBytes: 1000, WastedBytes: 100, WastedPercent: 10, UserWastedPercent: 50, Efficiency: 0.9}}
	var r Rules
	for k, v := range map[string]string{"max-size": "1000", "min-efficiency": "0.9", "max-wasted": "99", "max-wasted-percent": "10", "max-user-wasted-percent": "49.9"} {
		if err := r.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	res := r.Evaluate(a)
	var got []string
	for _, x := range res.Results {
		v := "PASS"
		if !x.Pass {
			v = "FAIL"
		}
		got = append(got, v+" "+x.Rule)
	}
	want := "PASS max-size,PASS min-efficiency,FAIL max-wasted,PASS max-wasted-percent,FAIL max-user-wasted-percent"
	if strings.Join(got, ",") != want || res.Pass {
		t.Errorf("results %s (pass %v), want %s", strings.Join(got, ","), res.Pass, want)
	}
}
