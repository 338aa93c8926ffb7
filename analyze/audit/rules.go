package audit

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"go.yaml.in/yaml/v3"

	"github.com/whittle-dev/whittle/internal/suggest"
)

// Rules are the thresholds `whittle audit --ci` checks. A nil field is not
// checked.
type Rules struct {
	// MaxSize bounds the uncompressed image size (the layers' tar bytes).
	MaxSize *int64
	// MinEfficiency bounds visible / stored file bytes from below (0–1).
	MinEfficiency *float64
	// MaxWasted bounds the wasted bytes.
	MaxWasted *int64
	// MaxWastedPercent bounds wasted bytes as a percentage of all stored
	// file bytes.
	MaxWastedPercent *float64
	// MaxUserWastedPercent bounds wasted bytes as a percentage of the file
	// bytes of the layers above the base layer (dive's
	// highestUserWastedPercent, given there as a ratio).
	MaxUserWastedPercent *float64
}

// Rule names, as flags and rules-file keys take them; dive's .dive-ci
// names are accepted for the rules dive has.
const (
	RuleMaxSize              = "max-size"
	RuleMinEfficiency        = "min-efficiency"
	RuleMaxWasted            = "max-wasted"
	RuleMaxWastedPercent     = "max-wasted-percent"
	RuleMaxUserWastedPercent = "max-user-wasted-percent"
	DiveLowestEfficiency     = "lowestEfficiency"
	DiveHighestWastedBytes   = "highestWastedBytes"
	DiveHighestUserWasted    = "highestUserWastedPercent"
)

// RuleKeys lists every key a rules file may hold.
var RuleKeys = []string{
	RuleMaxSize, RuleMinEfficiency, RuleMaxWasted, RuleMaxWastedPercent, RuleMaxUserWastedPercent,
	DiveLowestEfficiency, DiveHighestWastedBytes, DiveHighestUserWasted,
}

// DefaultRules are dive's defaults, used when --ci is given with no rule
// at all: efficiency at least 0.9 and at most 10% of the user layers' bytes
// wasted.
func DefaultRules() Rules {
	eff, user := 0.9, 10.0
	return Rules{MinEfficiency: &eff, MaxUserWastedPercent: &user}
}

// Empty reports whether no rule is set.
func (r *Rules) Empty() bool {
	return r.MaxSize == nil && r.MinEfficiency == nil && r.MaxWasted == nil && r.MaxWastedPercent == nil && r.MaxUserWastedPercent == nil
}

// Set sets the rule key to value: sizes as "500MB", "1.5GiB" or bytes;
// efficiency as a ratio ("0.9") or a percentage ("90%"); percentages as
// "10" or "10%" (dive's keys take ratios, as dive does); "disabled" or ""
// turns the rule off.
func (r *Rules) Set(key, value string) error {
	value = strings.TrimSpace(value)
	off := value == "" || strings.EqualFold(value, "disabled") || strings.EqualFold(value, "off")
	switch key {
	case RuleMaxSize, RuleMaxWasted, DiveHighestWastedBytes:
		var p *int64
		if !off {
			n, err := humanize.ParseBytes(value)
			if err != nil || n > math.MaxInt64 {
				return fmt.Errorf("rule %s: %q is not a size (like 500MB or 2GiB)", key, value)
			}
			v := int64(n)
			p = &v
		}
		if key == RuleMaxSize {
			r.MaxSize = p
		} else {
			r.MaxWasted = p
		}
	case RuleMinEfficiency, DiveLowestEfficiency:
		p, err := parseRatio(key, value, off)
		if err != nil {
			return err
		}
		r.MinEfficiency = p
	case RuleMaxWastedPercent, RuleMaxUserWastedPercent, DiveHighestUserWasted:
		var p *float64
		if !off {
			v, err := parsePercent(value, key == DiveHighestUserWasted)
			if err != nil {
				return fmt.Errorf("rule %s: %v", key, err)
			}
			p = &v
		}
		if key == RuleMaxWastedPercent {
			r.MaxWastedPercent = p
		} else {
			r.MaxUserWastedPercent = p
		}
	default:
		return fmt.Errorf("unknown rule %q%s", key, suggest.Hint(key, RuleKeys))
	}
	return nil
}

func parseRatio(key, value string, off bool) (*float64, error) {
	if off {
		return nil, nil
	}
	pct := strings.HasSuffix(value, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
	if err != nil || v < 0 {
		return nil, fmt.Errorf("rule %s: %q is not a ratio (0.9) or a percentage (90%%)", key, value)
	}
	if pct || v > 1 {
		v /= 100
	}
	if v > 1 {
		return nil, fmt.Errorf("rule %s: %q is more than 100%%", key, value)
	}
	return &v, nil
}

func parsePercent(value string, ratio bool) (float64, error) {
	pct := strings.HasSuffix(value, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a percentage", value)
	}
	if ratio && !pct {
		v *= 100
	}
	return v, nil
}

// LoadRules reads a rules file: whittle's own or dive's .dive-ci, both a
// YAML map under the key "rules". Unknown keys are errors.
func LoadRules(path string, into *Rules) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading rules: %w", err)
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: not valid YAML: %w", path, err)
	}
	for k := range doc {
		if k != "rules" {
			return fmt.Errorf("%s: unknown key %q%s", path, k, suggest.Hint(k, []string{"rules"}))
		}
	}
	node, ok := doc["rules"]
	if !ok {
		return nil
	}
	var rules map[string]yaml.Node
	if err := node.Decode(&rules); err != nil {
		return fmt.Errorf("%s: rules must be a map of rule: threshold", path)
	}
	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := rules[k]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: line %d: rule %s needs a single value", path, v.Line, k)
		}
		if err := into.Set(k, v.Value); err != nil {
			return fmt.Errorf("%s: line %d: %w", path, v.Line, err)
		}
	}
	return nil
}

// RuleResults is the outcome of checking Rules.
type RuleResults struct {
	Pass    bool         `json:"pass"`
	Results []RuleResult `json:"results"`
}

// RuleResult is one rule's outcome: the measured value against the
// threshold, both raw (bytes, ratio or percent as the rule says) and as text.
type RuleResult struct {
	Rule      string  `json:"rule"`
	Pass      bool    `json:"pass"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Message   string  `json:"message"`
}

// Evaluate checks the rules against an audit.
func (r *Rules) Evaluate(a *Audit) *RuleResults {
	res := &RuleResults{Pass: true, Results: []RuleResult{}}
	add := func(rule string, pass bool, value, threshold float64, msg string) {
		res.Results = append(res.Results, RuleResult{Rule: rule, Pass: pass, Value: value, Threshold: threshold, Message: msg})
		res.Pass = res.Pass && pass
	}
	t := a.Totals
	if r.MaxSize != nil {
		add(RuleMaxSize, t.UncompressedBytes <= *r.MaxSize, float64(t.UncompressedBytes), float64(*r.MaxSize),
			fmt.Sprintf("image size %s, limit %s", humanize.Bytes(uint64(t.UncompressedBytes)), humanize.Bytes(uint64(*r.MaxSize))))
	}
	if r.MinEfficiency != nil {
		add(RuleMinEfficiency, t.Efficiency >= *r.MinEfficiency, t.Efficiency, *r.MinEfficiency,
			fmt.Sprintf("efficiency %.2f%%, at least %.2f%%", 100*t.Efficiency, 100**r.MinEfficiency))
	}
	if r.MaxWasted != nil {
		add(RuleMaxWasted, t.WastedBytes <= *r.MaxWasted, float64(t.WastedBytes), float64(*r.MaxWasted),
			fmt.Sprintf("wasted %s, limit %s", humanize.Bytes(uint64(t.WastedBytes)), humanize.Bytes(uint64(*r.MaxWasted))))
	}
	if r.MaxWastedPercent != nil {
		add(RuleMaxWastedPercent, t.WastedPercent <= *r.MaxWastedPercent, t.WastedPercent, *r.MaxWastedPercent,
			fmt.Sprintf("wasted %.2f%% of stored file bytes, limit %.2f%%", t.WastedPercent, *r.MaxWastedPercent))
	}
	if r.MaxUserWastedPercent != nil {
		add(RuleMaxUserWastedPercent, t.UserWastedPercent <= *r.MaxUserWastedPercent, t.UserWastedPercent, *r.MaxUserWastedPercent,
			fmt.Sprintf("wasted %.2f%% of the bytes above the base layer, limit %.2f%%", t.UserWastedPercent, *r.MaxUserWastedPercent))
	}
	return res
}
