package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Created is the creation time of the demo image and of every history
// entry (a fixed SOURCE_DATE_EPOCH).
const Created = "2024-06-15T12:00:00Z"

// imageConfig is the image configuration as the demo writes it. Its
// "config" carries the misspelt "Environment" next to "Env", which is why
// the demo writes the JSON itself rather than through v1.ConfigFile.
type imageConfig struct {
	Architecture string        `json:"architecture"`
	Config       runConfig     `json:"config"`
	Created      string        `json:"created"`
	History      []historyItem `json:"history"`
	OS           string        `json:"os"`
	RootFS       rootFS        `json:"rootfs"`
}

type runConfig struct {
	User         string              `json:"User"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts"`
	Env          []string            `json:"Env"`
	Environment  []string            `json:"Environment"`
	Entrypoint   []string            `json:"Entrypoint"`
	Cmd          []string            `json:"Cmd"`
	WorkingDir   string              `json:"WorkingDir"`
	Labels       map[string]string   `json:"Labels"`
}

type historyItem struct {
	Created    string `json:"created"`
	CreatedBy  string `json:"created_by"`
	Comment    string `json:"comment,omitempty"`
	EmptyLayer bool   `json:"empty_layer,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// runtimeConfig returns the image's run configuration: the application
// as entry point, PATH into the store, LANG and LOCALE_ARCHIVE, and — in
// the misspelt key, so no runtime sets them — the CA bundle and time zone.
func runtimeConfig(s store) runConfig {
	return runConfig{
		User:         "hello-web",
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Env: []string{
			"PATH=" + s.path("app") + "/bin:" + s.path("python3") + "/bin",
			"LANG=en_US.UTF-8",
			"LOCALE_ARCHIVE=" + s.path("glibc-locales") + "/lib/locale/locale-archive",
			"PYTHONUNBUFFERED=1",
		},
		Environment: []string{
			"SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt",
			"TZ=Europe/Riga",
			"TZDIR=" + s.path("tzdata") + "/share/zoneinfo",
		},
		Entrypoint: []string{s.path("app") + "/bin/hello-web"},
		Cmd:        []string{"--port", "8080"},
		WorkingDir: "/var/lib/hello-web",
		Labels: map[string]string{
			"org.opencontainers.image.description": "hello-web: a Nix-built Python web service (whittle's demo image)",
			"org.opencontainers.image.source":      "https://github.com/whittle-dev/whittle",
			"org.opencontainers.image.title":       "hello-web",
			"org.opencontainers.image.version":     "1.4.2",
		},
	}
}

// configJSON writes the raw image config for layers (uncompressed tars)
// made by the given history commands, followed by the instructions that
// made no layer.
func configJSON(s store, layers [][]byte, commands []string) ([]byte, error) {
	if len(layers) != len(commands) {
		return nil, fmt.Errorf("writing the demo config: %d layers but %d history entries", len(layers), len(commands))
	}
	rc := runtimeConfig(s)
	cfg := imageConfig{Architecture: "amd64", Config: rc, Created: Created, OS: "linux", RootFS: rootFS{Type: "layers"}}
	for i, l := range layers {
		sum := sha256.Sum256(l)
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, "sha256:"+hex.EncodeToString(sum[:]))
		cfg.History = append(cfg.History, historyItem{Created: Created, CreatedBy: commands[i], Comment: "buildkit.dockerfile.v0"})
	}
	entry, err := json.Marshal(rc.Entrypoint)
	if err != nil {
		return nil, fmt.Errorf("writing the demo config: %w", err)
	}
	cmd, err := json.Marshal(rc.Cmd)
	if err != nil {
		return nil, fmt.Errorf("writing the demo config: %w", err)
	}
	for _, c := range []string{
		"ENV " + rc.Env[0] + " LANG=en_US.UTF-8 " + rc.Env[2] + " PYTHONUNBUFFERED=1",
		"LABEL org.opencontainers.image.title=hello-web org.opencontainers.image.version=1.4.2",
		"USER hello-web",
		"WORKDIR /var/lib/hello-web",
		"EXPOSE map[8080/tcp:{}]",
		"ENTRYPOINT " + string(entry),
		"CMD " + string(cmd),
	} {
		cfg.History = append(cfg.History, historyItem{Created: Created, CreatedBy: c, Comment: "buildkit.dockerfile.v0", EmptyLayer: true})
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("writing the demo config: %w", err)
	}
	return out, nil
}
