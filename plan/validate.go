package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/whittle-dev/whittle/etcgen"
)

// Validate checks a plan value built in code or edited (the TUI's
// edits, Flags.AddTo) by the rules Parse applies to a plan file, so that
// Save writes only what Parse reads back as the same plan. Errors name
// the field as the plan file's key path: `drop[3]: want an absolute
// path, got "usr/**"`.
func (p *Plan) Validate() error {
	if p.Mode != "" {
		if _, err := ParseMode(string(p.Mode)); err != nil {
			return fmt.Errorf("mode: %w", err)
		}
	}
	for _, l := range []struct {
		key  string
		list []string
		rule func(string) error
	}{
		{"roots", p.Roots, CheckRoot},
		{"keep", p.Keep, CheckGlob},
		{"drop", p.Drop, CheckGlob},
		{"apply", p.Apply, CheckKind},
		{"learned", p.Learned, CheckAbsPath},
		{"config.exposed_ports", p.Config.ExposedPorts, CheckPort},
	} {
		for i, v := range l.list {
			if err := l.rule(v); err != nil {
				return fmt.Errorf("%s[%d]: %w", l.key, i, err)
			}
		}
	}
	if section, err := checkEtc(p.Etc); err != nil {
		return fmt.Errorf("etc.%s: %w", section, err)
	}
	for k := range p.Config.Env {
		if err := CheckEnvName(k); err != nil {
			return fmt.Errorf("config.env: %w", err)
		}
	}
	if p.Layers.Strategy != "" {
		if _, err := ParseStrategy(string(p.Layers.Strategy)); err != nil {
			return fmt.Errorf("layers.strategy: %w", err)
		}
	}
	if p.Layers.Max != 0 {
		if err := CheckMaxLayers(p.Layers.Max); err != nil {
			return fmt.Errorf("layers.max: %w", err)
		}
	}
	for _, c := range []struct {
		key  string
		cmds [][]string
		opts []CheckOptions
	}{{"verify", p.Verify, p.VerifyOptions}, {"learn", p.Learn, p.LearnOptions}} {
		if len(c.opts) > len(c.cmds) {
			return fmt.Errorf("%s: %d commands but options for %d", c.key, len(c.cmds), len(c.opts))
		}
		for i, argv := range c.cmds {
			if err := CheckCommand(argv, OptionsAt(c.opts, i)); err != nil {
				return fmt.Errorf("%s[%d]: %w", c.key, i, err)
			}
		}
	}
	return nil
}

// checkEtc checks an etc: selection as Parse reads one, and names the
// section of the first problem.
func checkEtc(s etcgen.Selection) (string, error) {
	for _, c := range []struct {
		key string
		c   etcgen.Choice
	}{{"services", s.Services}, {"protocols", s.Protocols}, {"certificates", s.Certificates}, {"locales", s.Locales}, {"timezones", s.Timezones}} {
		switch {
		case c.c.All && len(c.c.Names) > 0:
			return c.key, errors.New("all, or a list of names, not both")
		case len(c.c.Names) == 1 && strings.EqualFold(c.c.Names[0], "all"):
			return c.key, errors.New(`a list of the one name "all" means all: write all`)
		}
	}
	if s.LocaleFormat != "" {
		if _, err := etcgen.ParseLocaleFormat(string(s.LocaleFormat)); err != nil {
			return "locale_format", err
		}
	}
	for i, u := range s.Users {
		if u.Name == "" {
			return fmt.Sprintf("users[%d]", i), errors.New("an entry has no name")
		}
	}
	return "", nil
}
