package nixref

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
)

// ErrNoNix is returned by Info when the nix command is not on PATH.
var ErrNoNix = errors.New("nix is not installed (no nix command on PATH)")

// Info asks Nix for the closure of paths: it runs `nix path-info --json
// --recursive` (with the nix-command feature enabled and substituters
// off, so only the local store is asked) and returns each member's
// references and NAR size, sorted by path.
func Info(ctx context.Context, paths ...string) ([]PathInfo, error) {
	nix, err := exec.LookPath("nix")
	if err != nil {
		return nil, ErrNoNix
	}
	args := append([]string{"--extra-experimental-features", "nix-command",
		"path-info", "--json", "--recursive", "--option", "substituters", "", "--"}, paths...)
	cmd := exec.CommandContext(ctx, nix, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("querying nix for %s: %w: %s", strings.Join(paths, ", "), err, lastLine(stderr.String()))
	}
	infos, err := ParsePathInfoJSON(out)
	if err != nil {
		return nil, fmt.Errorf("querying nix for %s: %w", strings.Join(paths, ", "), err)
	}
	return infos, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

type jsonPathInfo struct {
	Path       string   `json:"path"`
	NarSize    *int64   `json:"narSize"`
	References []string `json:"references"`
}

// ParsePathInfoJSON parses the output of `nix path-info --json`: the
// array of objects older Nix prints ([{"path": …, "narSize": …,
// "references": […]}]) or the object keyed by path newer Nix prints, in
// which an invalid path maps to null. References given as bare
// "<hash>-<name>" are completed with the referrer's store directory. An
// invalid path is an error naming it. The result is sorted by path.
func ParsePathInfoJSON(data []byte) ([]PathInfo, error) {
	var raw []jsonPathInfo
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(trimmed, []byte("[")):
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, fmt.Errorf("parsing nix path-info JSON: %w", err)
		}
	case bytes.HasPrefix(trimmed, []byte("{")):
		var byPath map[string]*jsonPathInfo
		if err := json.Unmarshal(trimmed, &byPath); err != nil {
			return nil, fmt.Errorf("parsing nix path-info JSON: %w", err)
		}
		for p, info := range byPath {
			if info == nil {
				return nil, fmt.Errorf("parsing nix path-info JSON: path %s is not valid", p)
			}
			info.Path = p
			raw = append(raw, *info)
		}
	default:
		return nil, fmt.Errorf("parsing nix path-info JSON: expected an array or an object")
	}
	out := make([]PathInfo, 0, len(raw))
	for _, r := range raw {
		if r.Path == "" {
			return nil, fmt.Errorf("parsing nix path-info JSON: entry without a path")
		}
		if r.NarSize == nil {
			return nil, fmt.Errorf("parsing nix path-info JSON: path %s is not valid", r.Path)
		}
		dir := r.Path[:max(strings.LastIndexByte(r.Path, '/'), 0)]
		info := PathInfo{Path: r.Path, NarSize: *r.NarSize}
		for _, ref := range r.References {
			if !strings.HasPrefix(ref, "/") {
				ref = dir + "/" + ref
			}
			info.References = append(info.References, ref)
		}
		sort.Strings(info.References)
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
