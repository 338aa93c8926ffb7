package demo

// cleanupPlan is what the last layer does to the layers below it.
type cleanupPlan struct {
	deletes    []string // image paths removed (whiteouts)
	opaque     []string // directories emptied and recreated (opaque markers)
	overwrites []string // files of lower layers written again
	adds       []string // new files
}

// cleanup describes the cleanup layer: the compiler's store path, root's
// caches and Python's test suite deleted, /var/cache emptied and
// recreated, the application's configuration replaced, and a note added
// to its state directory.
func cleanup(s store) cleanupPlan {
	return cleanupPlan{
		deletes:    []string{s.path("gcc"), s.path("python3") + "/lib/python3.12/test", "/root/.cache"},
		opaque:     []string{"/var/cache"},
		overwrites: []string{s.path("app") + "/share/hello-web/config.toml"},
		adds:       []string{"/var/lib/hello-web/README"},
	}
}

// appUID is the application's user and group id (see systemUsers).
const appUID = 999

// cleanupLayer writes the cleanup layer.
func cleanupLayer(t *tree, s store) {
	p := cleanup(s)
	for _, d := range p.deletes {
		t.whiteout(d)
	}
	for _, d := range p.opaque {
		t.opaque(d)
	}
	t.dir("/var/cache/hello-web", 0o755)
	t.file(p.overwrites[0], 0o444, []byte(appConfigOverride))
	t.dir("/var/lib/hello-web", 0o750)
	t.files[len(t.files)-1].UID, t.files[len(t.files)-1].GID = appUID, appUID
	t.file(p.adds[0], 0o644, []byte("State of hello-web: sessions and the upstream response cache.\n"))
	t.files[len(t.files)-1].UID, t.files[len(t.files)-1].GID = appUID, appUID
}
