package demo

import "sort"

// staticEntry is one file of the NixOS etc store path (relative to its
// etc directory): data, or a link into another store path.
type staticEntry struct {
	rel  string
	data []byte
	link string
}

// tmpfilesConfs, systemdConfs and fontConfs are the generated
// configuration files of /etc's tmpfiles.d, systemd and fonts/conf.d.
var (
	tmpfilesConfs = []string{
		"00-nixos.conf", "credstore.conf", "home.conf", "journal-nocow.conf", "legacy.conf",
		"nix-daemon.conf", "portables.conf", "provision.conf", "static-nodes-permissions.conf",
		"systemd-nologin.conf", "systemd-nspawn.conf", "systemd-pstore.conf", "systemd-tmp.conf",
		"systemd.conf", "tmp.conf", "var.conf", "x11.conf", "hello-web.conf",
	}
	systemdConfs = []string{
		"coredump.conf", "homed.conf", "journald.conf", "logind.conf", "networkd.conf", "oomd.conf",
		"pstore.conf", "resolved.conf", "sleep.conf", "system.conf", "timesyncd.conf", "user.conf",
	}
	fontConfs = []string{
		"00-nixos-cache.conf", "10-hinting-slight.conf", "10-nixos-rendering.conf", "10-scale-bitmap-fonts.conf",
		"10-sub-pixel-none.conf", "10-yes-antialias.conf", "11-lcdfilter-default.conf", "20-unhint-small-vera.conf",
		"30-metric-aliases.conf", "40-nonlatin.conf", "45-generic.conf", "45-latin.conf", "48-spacing.conf",
		"49-sansserif.conf", "50-user.conf", "51-local.conf", "52-nixos-default-fonts.conf",
		"53-nixos-reject-type1.conf", "60-generic.conf", "60-latin.conf", "65-fonts-persian.conf",
		"65-khmer.conf", "65-nonlatin.conf", "69-unifont.conf", "70-no-bitmaps.conf", "80-delicious.conf",
		"90-synthetic.conf",
	}
	pamServices = []string{
		"chfn", "chpasswd", "chsh", "groupadd", "groupdel", "groupmems", "groupmod", "login", "other",
		"passwd", "polkit-1", "runuser", "runuser-l", "sshd", "su", "sudo", "systemd-run0", "systemd-user",
		"useradd", "userdel", "usermod", "vlock",
	}
	userUnits = []string{"basic.target", "default.target", "exit.target", "paths.target", "shutdown.target",
		"sockets.target", "timers.target", "systemd-tmpfiles-clean.timer", "systemd-tmpfiles-setup.service"}
	wantedUnits = map[string][]string{
		"multi-user.target.wants": {"hello-web.service", "systemd-logind.service", "systemd-networkd.service", "systemd-resolved.service", "systemd-timesyncd.service"},
		"sockets.target.wants":    {"systemd-journald-dev-log.socket", "systemd-journald.socket", "systemd-udevd-control.socket", "systemd-udevd-kernel.socket"},
		"sysinit.target.wants":    {"systemd-journald.service", "systemd-tmpfiles-setup.service", "systemd-udevd.service"},
	}
)

// etcStatic lists the NixOS etc store path's files, sorted.
func etcStatic(s store) []staticEntry {
	key := func(rel string) string { return s.path("etc") + "/etc/" + rel }
	text := func(rel string, n int) staticEntry { return staticEntry{rel: rel, data: prose(key(rel), "# ", n)} }
	cacert := s.path("cacert") + "/etc/ssl/certs/ca-bundle.crt"
	out := []staticEntry{
		text("bashrc", 3_364), text("bash_logout", 140), text("inputrc", 2_094), text("profile", 2_681),
		text("fstab", 412), {rel: "host.conf", data: []byte("multi on\n")}, {rel: "hostname", data: []byte("hello-web\n")},
		{rel: "hosts", data: []byte(hostsFile)}, {rel: "issue", data: []byte("\n<<< Welcome to NixOS 24.05 (\\m) - \\l >>>\n\n")},
		{rel: "locale.conf", data: []byte("LANG=en_US.UTF-8\n")}, text("login.defs", 1_152),
		{rel: "lsb-release", data: []byte("DISTRIB_CODENAME=uakari\nDISTRIB_DESCRIPTION=\"NixOS 24.05 (Uakari)\"\nDISTRIB_ID=nixos\nDISTRIB_RELEASE=\"24.05\"\nLSB_VERSION=\"24.05 (Uakari)\"\n")},
		{rel: "os-release", data: []byte(osRelease)}, text("nanorc", 1_310), text("nscd.conf", 1_224),
		{rel: "nsswitch.conf", data: []byte(nsswitchConf)}, text("resolvconf.conf", 206),
		{rel: "shells", data: []byte("/run/current-system/sw/bin/bash\n/run/current-system/sw/bin/sh\n/bin/sh\n")},
		{rel: "sudoers", data: []byte(sudoersFile)}, {rel: "set-environment", data: setEnvironment(s)},
		text("man_db.conf", 5_176), text("binfmt.d/nixos.conf", 12), text("sysctl.d/60-nixos.conf", 402),
		text("sysctl.d/50-coredump.conf", 261), text("modprobe.d/nixos.conf", 180), text("modprobe.d/debian.conf", 1_604),
		text("modprobe.d/systemd.conf", 726), text("modules-load.d/nixos.conf", 24),
		{rel: "services", link: s.path("iana-etc") + "/etc/services"},
		{rel: "protocols", link: s.path("iana-etc") + "/etc/protocols"},
		{rel: "zoneinfo", link: s.path("tzdata") + "/share/zoneinfo"},
		{rel: "ssl/certs/ca-certificates.crt", link: cacert},
		{rel: "ssl/certs/ca-bundle.crt", link: cacert},
		{rel: "pki/tls/certs/ca-bundle.crt", link: cacert},
		{rel: "security/limits.conf", link: s.path("linux-pam") + "/etc/security/limits.conf"},
		{rel: "security/pam_env.conf", link: s.path("linux-pam") + "/etc/security/pam_env.conf"},
		text("pam/environment", 422),
		text("ssh/ssh_config", 1_531), text("ssh/sshd_config", 1_260),
		{rel: "ssh/moduli", data: moduliFile(key("ssh/moduli"), 554_000)},
		text("dbus-1/system.conf", 2_984), text("dbus-1/session.conf", 2_712),
		text("nix/nix.conf", 536), text("nix/registry.json", 354), text("default/useradd", 44),
		text("fonts/fonts.conf", 2_843),
		{rel: "udev/hwdb.bin", data: padTo([]byte("KSLPHHRH"), 819_224, func(n int) []byte { return randomBytes(key("udev/hwdb.bin"), n) })},
		text("udev/rules.d/99-local.rules", 64),
		{rel: "systemd/system/hello-web.service", data: helloWebService(s)},
	}
	for _, c := range tmpfilesConfs {
		out = append(out, text("tmpfiles.d/"+c, 180+len(c)*23))
	}
	for _, c := range systemdConfs {
		out = append(out, text("systemd/"+c, 600+len(c)*31))
	}
	for _, c := range fontConfs {
		out = append(out, text("fonts/conf.d/"+c, 700+len(c)*57))
	}
	for _, p := range pamServices {
		out = append(out, staticEntry{rel: "pam.d/" + p, data: pamService(s, p)})
	}
	units := s.path("systemd") + "/example/systemd/system/"
	for _, u := range systemdUnits {
		out = append(out, staticEntry{rel: "systemd/system/" + u.name, link: units + u.name})
	}
	for _, u := range []string{"autovt@.service", "ctrl-alt-del.target", "default.target"} {
		out = append(out, staticEntry{rel: "systemd/system/" + u, link: units + u})
	}
	for dir, wants := range wantedUnits {
		for _, u := range wants {
			out = append(out, staticEntry{rel: "systemd/system/" + dir + "/" + u, link: "../" + u})
		}
	}
	for _, u := range userUnits {
		out = append(out, staticEntry{rel: "systemd/user/" + u, link: units + u})
	}
	for _, r := range udevRules {
		out = append(out, staticEntry{rel: "udev/rules.d/" + r, link: s.path("systemd") + "/lib/udev/rules.d/" + r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out
}

// etcCopied are the static files NixOS copies into /etc (with a mode)
// instead of linking.
var etcCopied = map[string]int64{"sudoers": 0o440}

// nixosEtc writes the NixOS /etc layer: the iana-etc, linux-pam and
// systemd store paths, the etc store path holding the static files,
// /etc/static pointing at it, a link /etc/X -> /etc/static/X for each
// file, and the files NixOS' activation writes into /etc itself.
func nixosEtc(t *tree, s store) {
	iana := t.in(s.path("iana-etc"))
	iana.file("etc/services", servicesFile())
	iana.file("etc/protocols", protocolsFile())
	linuxPAM(t, s)
	systemd(t, s)

	etc := t.in(s.path("etc"))
	for _, e := range etcStatic(s) {
		if e.link != "" {
			etc.link("etc/"+e.rel, e.link)
		} else {
			etc.file("etc/"+e.rel, e.data)
		}
		if mode, ok := etcCopied[e.rel]; ok {
			t.file("/etc/"+e.rel, mode, e.data)
			continue
		}
		t.link("/etc/"+e.rel, "/etc/static/"+e.rel)
	}
	t.link("/etc/static", s.path("etc")+"/etc")

	// Written by the activation script, not linked.
	t.file("/etc/passwd", 0o644, passwdFile())
	t.file("/etc/group", 0o644, groupFile())
	t.file("/etc/shadow", 0o640, shadowFile())
	t.file("/etc/subuid", 0o644, nil)
	t.file("/etc/subgid", 0o644, nil)
	t.file("/etc/machine-id", 0o444, []byte("b08dfa6083e7567a1921a715000001fb\n"))
	t.file("/etc/resolv.conf", 0o644, []byte("# Generated by resolvconf\nnameserver 10.0.2.3\noptions edns0\n"))
	t.file("/etc/NIXOS", 0o644, nil)
	t.file("/etc/.clean", 0o644, nil)
	t.file("/etc/.updated", 0o644, []byte("# Generated by systemd-update-done\nTIMESTAMP=@1718452800\n"))
	t.file("/etc/.pwd.lock", 0o600, nil)
	t.link("/etc/mtab", "/proc/mounts")
	t.link("/etc/localtime", "/etc/zoneinfo/UTC")
	t.dir("/etc/nixos", 0o755)
}
