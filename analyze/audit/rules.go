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

	"github.com/whittle-dev/whittle/internal/hosterr"
	"github.com/whittle-dev/whittle/internal/suggest"
)

// Rules are the thresholds `whittle audit --ci` checks. A nil field is not
// checked. whittle's own rules measure with whittle's exact figures; dive's
// rules (the keys of dive's .dive-ci) measure as dive v0.13 does, so that a
// .dive-ci that passes in dive passes here on the same image.
type Rules struct {
	// MaxSize bounds the uncompressed image size (the layers' tar bytes).
	MaxSize *int64
	// MinEfficiency bounds whittle's efficiency, visible / stored file
	// bytes, from below (a ratio, 0–1).
	MinEfficiency *float64
	// MaxWasted bounds whittle's wasted bytes: stored file bytes not
	// visible in the final file system, each byte counted once.
	MaxWasted *int64
	// MaxWastedPercent bounds wasted bytes as a percentage (0–100) of all
	// stored file bytes.
	MaxWastedPercent *float64
	// MaxUserWastedPercent bounds whittle's wasted bytes as a percentage
	// (0 or more) of the file bytes of the layers above the base layer:
	// above 100 when those layers delete more of the layers below than
	// they add, as a last layer that cleans up does.
	MaxUserWastedPercent *float64

	// DiveLowestEfficiency bounds dive's efficiency score (a ratio, 0–1):
	// the sum over every path of its smallest size in any layer, over the
	// sum of all its sizes.
	DiveLowestEfficiency *float64
	// DiveHighestWastedBytes bounds dive's wasted bytes: every size of every
	// path that occurs in two or more layers.
	DiveHighestWastedBytes *int64
	// DiveHighestUserWastedPercent bounds dive's wasted bytes over the file
	// bytes of the layers above the first, as dive gives it: a ratio, 0–1.
	DiveHighestUserWastedPercent *float64

	// set records the keys given a value (or turned off), so that dive's
	// defaults fill in only the dive keys nobody named.
	set map[string]bool
}

// Rule names, as flags and rules-file keys take them; dive's .dive-ci
// names are dive's rules, measured as dive measures.
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

// Definitions a rule result can name: how its figure was measured.
const (
	DefinitionWhittle = "whittle"
	DefinitionDive    = "dive"
)

// RuleKeys lists every key a rules file may hold.
var RuleKeys = []string{
	RuleMaxSize, RuleMinEfficiency, RuleMaxWasted, RuleMaxWastedPercent, RuleMaxUserWastedPercent,
	DiveLowestEfficiency, DiveHighestWastedBytes, DiveHighestUserWasted,
}

var diveKeys = []string{DiveLowestEfficiency, DiveHighestWastedBytes, DiveHighestUserWasted}

// diveDefaults are the values dive v0.13 gives its rules when neither its
// flags nor its .dive-ci name them.
var diveDefaults = map[string]string{
	DiveLowestEfficiency:   "0.9",
	DiveHighestWastedBytes: "disabled",
	DiveHighestUserWasted:  "0.1",
}

// Empty reports whether no rule is checked.
func (r *Rules) Empty() bool {
	return r.MaxSize == nil && r.MinEfficiency == nil && r.MaxWasted == nil && r.MaxWastedPercent == nil &&
		r.MaxUserWastedPercent == nil && r.DiveLowestEfficiency == nil && r.DiveHighestWastedBytes == nil &&
		r.DiveHighestUserWastedPercent == nil
}

// ApplyDiveDefaults fills in dive's defaults as dive does: when no key was
// set at all, or when some dive key was, every dive key not named gets
// dive's default (lowestEfficiency 0.9, highestUserWastedPercent 0.1,
// highestWastedBytes off). A rules file of whittle's keys only is left as
// it is.
func (r *Rules) ApplyDiveDefaults() {
	anyDive := len(r.set) == 0
	for _, k := range diveKeys {
		anyDive = anyDive || r.set[k]
	}
	if !anyDive {
		return
	}
	for _, k := range diveKeys {
		if !r.set[k] {
			if err := r.Set(k, diveDefaults[k]); err != nil {
				panic(err) // the defaults are valid
			}
		}
	}
}

// Disabled reports whether a rule value turns the rule off: empty,
// "disabled" (dive's word), "off" or "false".
func Disabled(value string) bool {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "", "disabled", "off", "false":
		return true
	}
	return false
}

// Set sets the rule key to value. Sizes: "500MB", "1.5GiB" or bytes.
// min-efficiency: a ratio 0–1 ("0.9") or a percentage with its sign
// ("90%"). max-wasted-percent and max-user-wasted-percent: a percentage,
// "10" or "10%" both meaning ten percent. dive's lowestEfficiency and
// highestUserWastedPercent: a ratio 0–1, as dive takes them. Empty,
// "disabled", "off" and "false" turn the rule off.
func (r *Rules) Set(key, value string) error {
	value = strings.TrimSpace(value)
	off := Disabled(value)
	var err error
	switch key {
	case RuleMaxSize:
		r.MaxSize, err = parseSize(key, value, off)
	case RuleMaxWasted:
		r.MaxWasted, err = parseSize(key, value, off)
	case DiveHighestWastedBytes:
		r.DiveHighestWastedBytes, err = parseSize(key, value, off)
	case RuleMinEfficiency:
		r.MinEfficiency, err = parseRatio(key, value, off, true)
	case DiveLowestEfficiency:
		r.DiveLowestEfficiency, err = parseRatio(key, value, off, false)
	case DiveHighestUserWasted:
		r.DiveHighestUserWastedPercent, err = parseRatio(key, value, off, false)
	case RuleMaxWastedPercent:
		r.MaxWastedPercent, err = parsePercent(key, value, off)
	case RuleMaxUserWastedPercent:
		r.MaxUserWastedPercent, err = parseShare(key, value, off)
	default:
		return fmt.Errorf("unknown rule %q%s", key, suggest.Hint(key, RuleKeys))
	}
	if err != nil {
		return err
	}
	if r.set == nil {
		r.set = map[string]bool{}
	}
	r.set[key] = true
	return nil
}

func parseSize(key, value string, off bool) (*int64, error) {
	if off {
		return nil, nil
	}
	n, err := humanize.ParseBytes(value)
	if err != nil || n > math.MaxInt64 {
		return nil, fmt.Errorf("rule %s: %q is not a size (like 500MB or 2GiB)", key, value)
	}
	v := int64(n)
	return &v, nil
}

// parseRatio reads a ratio between 0 and 1; with pctOK, a percentage
// written with its sign ("90%") too. A bare number above 1 is an error,
// never read as a percentage: 1.5 is not 1.5%.
func parseRatio(key, value string, off, pctOK bool) (*float64, error) {
	if off {
		return nil, nil
	}
	num, pct := strings.CutSuffix(value, "%")
	v, err := strconv.ParseFloat(num, 64)
	switch {
	case pct && pctOK && err == nil && v >= 0 && v <= 100:
		v /= 100
		return &v, nil
	case !pct && err == nil && v >= 0 && v <= 1:
		return &v, nil
	case pctOK:
		return nil, fmt.Errorf("rule %s: %q is not a ratio between 0 and 1 (0.9) or a percentage (90%%)", key, value)
	}
	return nil, fmt.Errorf("rule %s: %q is not a ratio between 0 and 1 (dive's keys take ratios: 0.1 is 10%%)", key, value)
}

// parsePercent reads a percentage between 0 and 100: "10" and "10%" are
// both ten percent.
func parsePercent(key, value string, off bool) (*float64, error) {
	if off {
		return nil, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
	if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
		return nil, fmt.Errorf("rule %s: %q is not a percentage between 0 and 100 (10 means 10%%)", key, value)
	}
	return &v, nil
}

// parseShare reads a percentage of 0 or more ("10", "10%", "250"): a
// share that may exceed the whole.
func parseShare(key, value string, off bool) (*float64, error) {
	if off {
		return nil, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("rule %s: %q is not a percentage of 0 or more (10 means 10%%)", key, value)
	}
	return &v, nil
}

// LoadRules reads a rules file: whittle's own or dive's .dive-ci, both a
// YAML map under the key "rules". Unknown keys are errors.
func LoadRules(path string, into *Rules) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rules file %s: %w", path, hosterr.Describe(err))
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
// threshold, both raw (bytes, ratio or percent as the rule says) and as
// text, and the definition the figure was measured with: "whittle" (exact:
// visible against stored bytes, each byte counted once) or "dive" (dive
// v0.13's per-path comparison of layer trees).
type RuleResult struct {
	Rule       string  `json:"rule"`
	Definition string  `json:"definition"`
	Pass       bool    `json:"pass"`
	Value      float64 `json:"value"`
	Threshold  float64 `json:"threshold"`
	Message    string  `json:"message"`
}

// Evaluate checks the rules against an audit.
func (r *Rules) Evaluate(a *Audit) *RuleResults {
	res := &RuleResults{Pass: true, Results: []RuleResult{}}
	add := func(rule, def string, pass bool, value, threshold float64, msg string) {
		res.Results = append(res.Results, RuleResult{Rule: rule, Definition: def, Pass: pass, Value: value, Threshold: threshold, Message: msg})
		res.Pass = res.Pass && pass
	}
	t := a.Totals
	if r.MaxSize != nil {
		add(RuleMaxSize, DefinitionWhittle, t.UncompressedBytes <= *r.MaxSize, float64(t.UncompressedBytes), float64(*r.MaxSize),
			fmt.Sprintf("image size %s, limit %s", humanize.Bytes(uint64(t.UncompressedBytes)), humanize.Bytes(uint64(*r.MaxSize))))
	}
	if r.MinEfficiency != nil {
		add(RuleMinEfficiency, DefinitionWhittle, t.Efficiency >= *r.MinEfficiency, t.Efficiency, *r.MinEfficiency,
			fmt.Sprintf("efficiency %.2f%%, at least %.2f%% (whittle's: visible / stored file bytes)", 100*t.Efficiency, 100**r.MinEfficiency))
	}
	if r.MaxWasted != nil {
		add(RuleMaxWasted, DefinitionWhittle, t.WastedBytes <= *r.MaxWasted, float64(t.WastedBytes), float64(*r.MaxWasted),
			fmt.Sprintf("wasted %s, limit %s (whittle's: stored bytes not visible)", humanize.Bytes(uint64(t.WastedBytes)), humanize.Bytes(uint64(*r.MaxWasted))))
	}
	if r.MaxWastedPercent != nil {
		add(RuleMaxWastedPercent, DefinitionWhittle, t.WastedPercent <= *r.MaxWastedPercent, t.WastedPercent, *r.MaxWastedPercent,
			fmt.Sprintf("wasted %.2f%% of stored file bytes, limit %.2f%% (whittle's)", t.WastedPercent, *r.MaxWastedPercent))
	}
	if r.MaxUserWastedPercent != nil {
		add(RuleMaxUserWastedPercent, DefinitionWhittle, t.UserWastedPercent <= *r.MaxUserWastedPercent, t.UserWastedPercent, *r.MaxUserWastedPercent,
			fmt.Sprintf("wasted %.2f%% of the bytes above the base layer, limit %.2f%% (whittle's)", t.UserWastedPercent, *r.MaxUserWastedPercent))
	}
	// dive's rules, with dive's figures and dive's comparisons: efficiency
	// fails below the threshold, the others above it.
	if r.DiveLowestEfficiency != nil {
		add(DiveLowestEfficiency, DefinitionDive, t.DiveEfficiency >= *r.DiveLowestEfficiency, t.DiveEfficiency, *r.DiveLowestEfficiency,
			fmt.Sprintf("efficiency %.4f%%, at least %g (dive's score)", 100*t.DiveEfficiency, *r.DiveLowestEfficiency))
	}
	if r.DiveHighestWastedBytes != nil {
		add(DiveHighestWastedBytes, DefinitionDive, t.DiveWastedBytes <= *r.DiveHighestWastedBytes, float64(t.DiveWastedBytes), float64(*r.DiveHighestWastedBytes),
			fmt.Sprintf("wasted %s, limit %s (dive's: every copy of a path in two or more layers)", humanize.Bytes(uint64(t.DiveWastedBytes)), humanize.Bytes(uint64(*r.DiveHighestWastedBytes))))
	}
	if r.DiveHighestUserWastedPercent != nil {
		ratio := t.DiveUserWastedPercent / 100
		add(DiveHighestUserWasted, DefinitionDive, ratio <= *r.DiveHighestUserWastedPercent, ratio, *r.DiveHighestUserWastedPercent,
			fmt.Sprintf("user wasted %.4f%%, limit %g (dive's ratio of wasted to the bytes above the base layer)", t.DiveUserWastedPercent, *r.DiveHighestUserWastedPercent))
	}
	return res
}
