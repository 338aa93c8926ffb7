package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestConfig(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)

	// Both keys, side by side, in "config".
	var raw struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(b.config, &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw.Config {
		keys = append(keys, k)
	}
	for _, k := range []string{"Env", "Environment"} {
		if _, ok := raw.Config[k]; !ok {
			t.Errorf("config has no %q key; keys: %q", k, keys)
		}
	}
	var misspelt []string
	if err := json.Unmarshal(raw.Config["Environment"], &misspelt); err != nil || !reflect.DeepEqual(misspelt, c.MisspeltEnv) {
		t.Errorf("Environment = %q (%v), want %q", misspelt, err, c.MisspeltEnv)
	}

	cfg, err := v1.ParseConfigFile(bytes.NewReader(b.config))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" || cfg.Created.UTC().Format("2006-01-02T15:04:05Z") != Created {
		t.Errorf("os %s arch %s created %v", cfg.OS, cfg.Architecture, cfg.Created)
	}
	if len(cfg.RootFS.DiffIDs) != len(b.tars) {
		t.Fatalf("%d diff IDs for %d layers", len(cfg.RootFS.DiffIDs), len(b.tars))
	}
	for i, l := range b.tars {
		sum := sha256.Sum256(l)
		if got := cfg.RootFS.DiffIDs[i].String(); got != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Errorf("diff ID %d is %s, not the layer's digest", i+1, got)
		}
	}
	var made []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			made = append(made, h.CreatedBy)
		}
	}
	var want []string
	for _, l := range c.Layers {
		want = append(want, l.CreatedBy)
	}
	if !reflect.DeepEqual(made, want) || len(cfg.History) != 11 {
		t.Errorf("history: %d entries, layers made by %q, want 11 and %q", len(cfg.History), made, want)
	}

	rc := cfg.Config
	if !reflect.DeepEqual(rc.Env, c.Env) || !reflect.DeepEqual(rc.Entrypoint, c.Entrypoint) || !reflect.DeepEqual(rc.Cmd, c.Cmd) ||
		rc.User != c.User || rc.WorkingDir != c.WorkingDir {
		t.Errorf("config %+v does not match Describe", rc)
	}
	wantEnv := []string{
		"PATH=" + c.App + "/bin:" + c.Runtime + "/bin",
		"LANG=en_US.UTF-8",
		"LOCALE_ARCHIVE=" + c.LocaleArchive,
		"PYTHONUNBUFFERED=1",
	}
	if !reflect.DeepEqual(rc.Env, wantEnv) {
		t.Errorf("Env = %q, want %q", rc.Env, wantEnv)
	}
	for _, e := range rc.Env {
		if strings.HasPrefix(e, "SSL_CERT_FILE=") {
			t.Errorf("Env sets %s; the demo is meant to miss it", e)
		}
	}

	// What the config names is in the image.
	merged := merge(t, b.tars)
	for _, p := range []string{c.Entrypoint[0], c.LocaleArchive, c.WorkingDir, c.CABundle, c.Runtime + "/bin/python3.12"} {
		if _, ok := merged[p]; !ok {
			t.Errorf("%s is not in the image", p)
		}
	}
	if e := merged[c.Entrypoint[0]]; e.hdr == nil || e.hdr.Mode != 0o555 || !strings.HasPrefix(string(e.data), "#!"+c.Runtime+"/bin/python3.12\n") {
		t.Errorf("the entry point is not an executable script run by the runtime")
	}
}
