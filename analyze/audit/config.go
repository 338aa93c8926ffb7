package audit

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/suggest"
)

// Finding is the one finding type (package finding).
type Finding = finding.Finding

// The kinds of the config checks' findings.
const (
	// KindConfigUnknownKey: a key the image specs do not define (a
	// misspelling runtimes silently ignore).
	KindConfigUnknownKey = "config/unknown-key"
	// KindConfigMalformed: the config or one of its sections is not an
	// object, or Env is not a list of strings.
	KindConfigMalformed = "config/malformed"
	// KindConfigBadEnv: an Env entry that is not NAME=value.
	KindConfigBadEnv = "config/bad-env"
	// KindConfigDuplicateEnv: a name set twice in Env (the last wins).
	KindConfigDuplicateEnv = "config/duplicate-env"
)

// The keys the OCI image spec and Docker's image spec define: the top
// level of an image config and its "config" object.
var (
	configTopKeys = []string{
		"architecture", "os", "os.version", "os.features", "variant", "config", "rootfs", "history",
		"created", "author", "container", "container_config", "docker_version", "id", "parent",
		"comment", "moby.buildkit.buildinfo.v1", "moby.buildkit.cache.v0",
	}
	configKeys = []string{
		"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels",
		"StopSignal", "ArgsEscaped", "Memory", "MemorySwap", "CpuShares", "Healthcheck", "OnBuild",
		"Shell", "Hostname", "Domainname", "AttachStdin", "AttachStdout", "AttachStderr", "Tty",
		"OpenStdin", "StdinOnce", "Image", "NetworkDisabled", "MacAddress", "StopTimeout",
	}
)

// ConfigFindings checks a raw image config for keys the specs do not
// define — a misspelt key ("Environment" for "Env") is silently ignored by
// every runtime — and for malformed environment entries.
func ConfigFindings(raw []byte) []Finding {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return []Finding{{Severity: finding.Error, Kind: KindConfigMalformed, Message: "image config is not a JSON object: " + err.Error()}}
	}
	var out []Finding
	out = append(out, unknownKeys(top, configTopKeys, "")...)
	for _, section := range []string{"config", "container_config"} {
		b, ok := top[section]
		if !ok || string(b) == "null" {
			continue
		}
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(b, &inner); err != nil {
			out = append(out, Finding{Severity: finding.Error, Kind: KindConfigMalformed, Message: fmt.Sprintf("image config: %q is not an object", section)})
			continue
		}
		out = append(out, unknownKeys(inner, configKeys, section)...)
		if section == "config" {
			out = append(out, envFindings(inner["Env"])...)
		}
	}
	return out
}

func unknownKeys(m map[string]json.RawMessage, known []string, section string) []Finding {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Finding
	where := "at the top level"
	if section != "" {
		where = "in " + section
	}
	for _, k := range names {
		if contains(known, k) {
			continue
		}
		hint := suggest.Hint(k, known)
		if section == "" && contains(configKeys, k) {
			hint = ` (it belongs inside "config")`
		}
		msg := fmt.Sprintf("image config: unknown key %q %s%s; runtimes ignore it", k, where, hint)
		f := Finding{Severity: finding.Warning, Kind: KindConfigUnknownKey, Paths: []string{k}, Message: msg}
		if c := suggest.Closest(k, known, 1); len(c) == 1 {
			f.Fix = fmt.Sprintf("rename %q to %q", k, c[0])
		} else if section == "" && contains(configKeys, k) {
			f.Fix = fmt.Sprintf("move %q inside \"config\"", k)
		}
		out = append(out, f)
	}
	return out
}

func envFindings(b json.RawMessage) []Finding {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var env []string
	if err := json.Unmarshal(b, &env); err != nil {
		return []Finding{{Severity: finding.Error, Kind: KindConfigMalformed, Message: "image config: Env is not a list of strings"}}
	}
	var out []Finding
	seen := map[string]int{}
	for _, e := range env {
		k, _, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			out = append(out, Finding{Severity: finding.Warning, Kind: KindConfigBadEnv, Paths: []string{e}, Message: "image config: Env entry \"" + e + "\" is not NAME=value"})
			continue
		}
		seen[k]++
		if seen[k] == 2 {
			out = append(out, Finding{Severity: finding.Warning, Kind: KindConfigDuplicateEnv, Paths: []string{k}, Message: fmt.Sprintf("image config: Env sets %s more than once; the last value wins", k), Fix: "keep one " + k + "= entry"})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
