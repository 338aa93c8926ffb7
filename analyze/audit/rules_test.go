package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRulesSet(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	n := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		key, value string
		want       Rules
		err        string
	}{
		{"max-size", "500MB", Rules{MaxSize: n(500_000_000)}, ""},
		{"max-size", "2GiB", Rules{MaxSize: n(2 << 30)}, ""},
		{"max-size", "12345", Rules{MaxSize: n(12345)}, ""},
		{"max-size", "big", Rules{}, `rule max-size: "big" is not a size (like 500MB or 2GiB)`},
		{"min-efficiency", "0.95", Rules{MinEfficiency: f(0.95)}, ""},
		{"min-efficiency", "90%", Rules{MinEfficiency: f(0.9)}, ""},
		{"min-efficiency", "1", Rules{MinEfficiency: f(1)}, ""},
		// A bare number above 1 is neither a ratio nor (silently) a percentage.
		{"min-efficiency", "1.5", Rules{}, `rule min-efficiency: "1.5" is not a ratio between 0 and 1 (0.9) or a percentage (90%)`},
		{"min-efficiency", "90", Rules{}, `rule min-efficiency: "90" is not a ratio between 0 and 1 (0.9) or a percentage (90%)`},
		{"min-efficiency", "190%", Rules{}, `rule min-efficiency: "190%" is not a ratio between 0 and 1 (0.9) or a percentage (90%)`},
		{"min-efficiency", "-0.1", Rules{}, `rule min-efficiency: "-0.1" is not a ratio between 0 and 1 (0.9) or a percentage (90%)`},
		{"max-wasted-percent", "10", Rules{MaxWastedPercent: f(10)}, ""},
		{"max-wasted-percent", "10%", Rules{MaxWastedPercent: f(10)}, ""},
		{"max-wasted-percent", "0.1", Rules{MaxWastedPercent: f(0.1)}, ""},
		{"max-wasted-percent", "101", Rules{}, `rule max-wasted-percent: "101" is not a percentage between 0 and 100 (10 means 10%)`},
		{"max-user-wasted-percent", "NaN", Rules{}, `rule max-user-wasted-percent: "NaN" is not a percentage of 0 or more (10 means 10%)`},
		{"max-user-wasted-percent", "250", Rules{MaxUserWastedPercent: f(250)}, ""},
		{"max-user-wasted-percent", "-1", Rules{}, `rule max-user-wasted-percent: "-1" is not a percentage of 0 or more (10 means 10%)`},
		// dive's keys: dive's values, ratios 0–1, and dive's own figures.
		{"lowestEfficiency", "0.8", Rules{DiveLowestEfficiency: f(0.8)}, ""},
		{"lowestEfficiency", "90%", Rules{}, `rule lowestEfficiency: "90%" is not a ratio between 0 and 1 (dive's keys take ratios: 0.1 is 10%)`},
		{"lowestEfficiency", "1.5", Rules{}, `rule lowestEfficiency: "1.5" is not a ratio between 0 and 1 (dive's keys take ratios: 0.1 is 10%)`},
		{"highestWastedBytes", "20MB", Rules{DiveHighestWastedBytes: n(20_000_000)}, ""},
		{"highestUserWastedPercent", "0.2", Rules{DiveHighestUserWastedPercent: f(0.2)}, ""},
		{"highestUserWastedPercent", "20", Rules{}, `rule highestUserWastedPercent: "20" is not a ratio between 0 and 1 (dive's keys take ratios: 0.1 is 10%)`},
		// dive's ways (and whittle's) to turn a rule off.
		{"highestWastedBytes", "disabled", Rules{}, ""},
		{"lowestEfficiency", "false", Rules{}, ""},
		{"highestUserWastedPercent", "off", Rules{}, ""},
		{"max-size", "", Rules{}, ""},
		{"min-efficiency", "Disabled", Rules{}, ""},
		{"max-sise", "10", Rules{}, `unknown rule "max-sise" (did you mean "max-size"?)`},
	} {
		var r Rules
		err := r.Set(tc.key, tc.value)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Set(%s, %q) = %v, want error %q", tc.key, tc.value, err, tc.err)
			}
			continue
		}
		r.set = nil
		if err != nil || !reflect.DeepEqual(r, tc.want) {
			t.Errorf("Set(%s, %q): %v, rules %s, want %s", tc.key, tc.value, err, show(r), show(tc.want))
		}
	}
}

func show(r Rules) string {
	var parts []string
	for _, x := range []struct {
		k string
		f *float64
		n *int64
	}{
		{"MaxSize", nil, r.MaxSize}, {"MinEfficiency", r.MinEfficiency, nil}, {"MaxWasted", nil, r.MaxWasted},
		{"MaxWastedPercent", r.MaxWastedPercent, nil}, {"MaxUserWastedPercent", r.MaxUserWastedPercent, nil},
		{"DiveLowestEfficiency", r.DiveLowestEfficiency, nil}, {"DiveHighestWastedBytes", nil, r.DiveHighestWastedBytes},
		{"DiveHighestUserWastedPercent", r.DiveHighestUserWastedPercent, nil},
	} {
		switch {
		case x.f != nil:
			parts = append(parts, fmt.Sprintf("%s=%g", x.k, *x.f))
		case x.n != nil:
			parts = append(parts, fmt.Sprintf("%s=%d", x.k, *x.n))
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// TestDiveDefaults: dive fills the dive keys nobody named with its
// defaults (its flags' defaults bind to the same keys), so whittle does.
func TestDiveDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"nothing set: dive's defaults", nil, "{DiveLowestEfficiency=0.9 DiveHighestUserWastedPercent=0.1}"},
		{"one dive key", map[string]string{"highestWastedBytes": "20MB"}, "{DiveLowestEfficiency=0.9 DiveHighestWastedBytes=20000000 DiveHighestUserWastedPercent=0.1}"},
		{"dive key disabled stays off", map[string]string{"lowestEfficiency": "disabled"}, "{DiveHighestUserWastedPercent=0.1}"},
		{"whittle keys only", map[string]string{"max-size": "1GB"}, "{MaxSize=1000000000}"},
		{"both kinds", map[string]string{"min-efficiency": "0.5", "lowestEfficiency": "0.7"}, "{MinEfficiency=0.5 DiveLowestEfficiency=0.7 DiveHighestUserWastedPercent=0.1}"},
	} {
		var r Rules
		for k, v := range tc.set {
			if err := r.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		r.ApplyDiveDefaults()
		if got := show(r); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
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
	if got, want := show(r), "{DiveLowestEfficiency=0.95 DiveHighestWastedBytes=20000000 DiveHighestUserWastedPercent=0.2}"; got != want {
		t.Errorf("dive rules read as %s, want %s", got, want)
	}
	// dive's ways to turn a rule off, in YAML: false, disabled, off, nothing.
	r = Rules{}
	if err := LoadRules(write("off.yaml", "rules:\n  lowestEfficiency: false\n  highestWastedBytes: disabled\n  highestUserWastedPercent:\n  max-size: off\n"), &r); err != nil {
		t.Fatal(err)
	}
	if r.ApplyDiveDefaults(); !r.Empty() {
		t.Errorf("disabled rules read as %s", show(r))
	}
	if err := LoadRules(filepath.Join(dir, "nosuch.yaml"), &r); err == nil || err.Error() != "rules file "+filepath.Join(dir, "nosuch.yaml")+": no such file or directory" {
		t.Errorf("missing rules file: %v", err)
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
	a := &Audit{Totals: AuditTotals{UncompressedBytes: 1000, WastedBytes: 100, WastedPercent: 10, UserWastedPercent: 50, Efficiency: 0.9,
		DiveEfficiency: 0.95, DiveWastedBytes: 300, DiveUserWastedPercent: 20}}
	var r Rules
	for k, v := range map[string]string{"max-size": "1000", "min-efficiency": "0.9", "max-wasted": "99", "max-wasted-percent": "10", "max-user-wasted-percent": "49.9",
		"lowestEfficiency": "0.96", "highestWastedBytes": "300", "highestUserWastedPercent": "0.2"} {
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
		got = append(got, fmt.Sprintf("%s %s (%s): %s", v, x.Rule, x.Definition, x.Message))
	}
	want := []string{
		"PASS max-size (whittle): image size 1.0 kB, limit 1.0 kB",
		"PASS min-efficiency (whittle): efficiency 90.00%, at least 90.00% (whittle's: visible / stored file bytes)",
		"FAIL max-wasted (whittle): wasted 100 B, limit 99 B (whittle's: stored bytes not visible)",
		"PASS max-wasted-percent (whittle): wasted 10.00% of stored file bytes, limit 10.00% (whittle's)",
		"FAIL max-user-wasted-percent (whittle): wasted 50.00% of the bytes above the base layer, limit 49.90% (whittle's)",
		"FAIL lowestEfficiency (dive): efficiency 95.0000%, at least 0.96 (dive's score)",
		"PASS highestWastedBytes (dive): wasted 300 B, limit 300 B (dive's: every copy of a path in two or more layers)",
		"PASS highestUserWastedPercent (dive): user wasted 20.0000%, limit 0.2 (dive's ratio of wasted to the bytes above the base layer)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || res.Pass {
		t.Errorf("results (pass %v):\n%s\nwant:\n%s", res.Pass, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
