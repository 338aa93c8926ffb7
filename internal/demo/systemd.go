package demo

import (
	"fmt"
	"strings"
)

// systemdUnits are the upstream units systemd's store path ships in
// example/systemd/system, which NixOS links into /etc/systemd/system.
// A unit whose daemon runs a systemd binary names it.
var systemdUnits = []struct {
	name   string
	daemon string // binary under lib/systemd, "" for none
}{
	{"-.slice", ""}, {"basic.target", ""}, {"console-getty.service", "systemd-getty-generator"},
	{"container-getty@.service", "systemd-getty-generator"}, {"dbus.socket", ""}, {"dev-hugepages.mount", ""},
	{"dev-mqueue.mount", ""}, {"emergency.service", "systemd-sulogin-shell"}, {"emergency.target", ""},
	{"final.target", ""}, {"getty.target", ""}, {"getty@.service", "systemd-getty-generator"},
	{"graphical.target", ""}, {"halt.target", ""}, {"hibernate.target", ""}, {"hybrid-sleep.target", ""},
	{"kexec.target", ""}, {"ldconfig.service", ""}, {"local-fs-pre.target", ""}, {"local-fs.target", ""},
	{"machine.slice", ""}, {"multi-user.target", ""}, {"network-online.target", ""}, {"network-pre.target", ""},
	{"network.target", ""}, {"nss-lookup.target", ""}, {"nss-user-lookup.target", ""}, {"paths.target", ""},
	{"poweroff.target", ""}, {"proc-sys-fs-binfmt_misc.automount", ""}, {"proc-sys-fs-binfmt_misc.mount", ""},
	{"reboot.target", ""}, {"remote-fs-pre.target", ""}, {"remote-fs.target", ""},
	{"rescue.service", "systemd-sulogin-shell"}, {"rescue.target", ""}, {"serial-getty@.service", "systemd-getty-generator"},
	{"shutdown.target", ""}, {"sleep.target", ""}, {"slices.target", ""}, {"sockets.target", ""},
	{"suspend.target", ""}, {"swap.target", ""}, {"sys-fs-fuse-connections.mount", ""},
	{"sys-kernel-config.mount", ""}, {"sys-kernel-debug.mount", ""}, {"sysinit.target", ""},
	{"system.slice", ""}, {"systemd-backlight@.service", "systemd-backlight"}, {"systemd-binfmt.service", "systemd-binfmt"},
	{"systemd-boot-check-no-failures.service", "systemd-boot-check-no-failures"},
	{"systemd-coredump.socket", ""}, {"systemd-coredump@.service", "systemd-coredump"},
	{"systemd-fsck-root.service", "systemd-fsck"}, {"systemd-fsck@.service", "systemd-fsck"},
	{"systemd-halt.service", ""}, {"systemd-hibernate.service", "systemd-sleep"},
	{"systemd-hostnamed.service", "systemd-hostnamed"}, {"systemd-importd.service", "systemd-importd"},
	{"systemd-journal-catalog-update.service", ""}, {"systemd-journal-flush.service", ""},
	{"systemd-journald-audit.socket", ""}, {"systemd-journald-dev-log.socket", ""},
	{"systemd-journald.service", "systemd-journald"}, {"systemd-journald.socket", ""},
	{"systemd-kexec.service", ""}, {"systemd-localed.service", "systemd-localed"},
	{"systemd-logind.service", "systemd-logind"}, {"systemd-machined.service", "systemd-machined"},
	{"systemd-modules-load.service", "systemd-modules-load"}, {"systemd-networkd-wait-online.service", "systemd-networkd-wait-online"},
	{"systemd-networkd.service", "systemd-networkd"}, {"systemd-networkd.socket", ""},
	{"systemd-oomd.service", "systemd-oomd"}, {"systemd-oomd.socket", ""},
	{"systemd-poweroff.service", ""}, {"systemd-pstore.service", "systemd-pstore"},
	{"systemd-random-seed.service", "systemd-random-seed"}, {"systemd-reboot.service", ""},
	{"systemd-remount-fs.service", "systemd-remount-fs"}, {"systemd-resolved.service", "systemd-resolved"},
	{"systemd-rfkill.service", "systemd-rfkill"}, {"systemd-rfkill.socket", ""},
	{"systemd-suspend.service", "systemd-sleep"}, {"systemd-sysctl.service", "systemd-sysctl"},
	{"systemd-timedated.service", "systemd-timedated"}, {"systemd-timesyncd.service", "systemd-timesyncd"},
	{"systemd-tmpfiles-clean.service", ""}, {"systemd-tmpfiles-clean.timer", ""},
	{"systemd-tmpfiles-setup-dev.service", ""}, {"systemd-tmpfiles-setup.service", ""},
	{"systemd-udev-settle.service", ""}, {"systemd-udev-trigger.service", ""},
	{"systemd-udevd-control.socket", ""}, {"systemd-udevd-kernel.socket", ""},
	{"systemd-udevd.service", "systemd-udevd"}, {"systemd-update-utmp-runlevel.service", "systemd-update-utmp"},
	{"systemd-update-utmp.service", "systemd-update-utmp"}, {"systemd-user-sessions.service", "systemd-user-sessions"},
	{"systemd-userdbd.service", "systemd-userdbd"}, {"systemd-userdbd.socket", ""},
	{"time-set.target", ""}, {"time-sync.target", ""}, {"timers.target", ""}, {"tmp.mount", ""},
	{"umount.target", ""}, {"user-runtime-dir@.service", "systemd-user-runtime-dir"}, {"user.slice", ""},
	{"user@.service", "systemd"},
}

// systemdBinaries are the executables of systemd's store path (relative
// path, size); each needs libsystemd-shared.
var systemdBinaries = []struct {
	rel  string
	size int
}{
	{"lib/systemd/systemd", 96_512}, {"lib/systemd/systemd-journald", 184_832},
	{"lib/systemd/systemd-logind", 289_280}, {"lib/systemd/systemd-networkd", 301_376},
	{"lib/systemd/systemd-resolved", 231_808}, {"lib/systemd/systemd-timesyncd", 59_904},
	{"lib/systemd/systemd-userdbd", 47_616}, {"lib/systemd/systemd-executor", 76_288},
	{"bin/systemctl", 219_520}, {"bin/journalctl", 92_672}, {"bin/loginctl", 63_488},
	{"bin/udevadm", 231_264}, {"bin/networkctl", 99_840}, {"bin/systemd-tmpfiles", 112_128},
}

// udevRules are the rules files of systemd's lib/udev/rules.d.
var udevRules = []string{
	"50-udev-default.rules", "60-autosuspend.rules", "60-block.rules", "60-cdrom_id.rules",
	"60-dmi-id.rules", "60-drm.rules", "60-evdev.rules", "60-fido-id.rules", "60-infiniband.rules",
	"60-input-id.rules", "60-persistent-alsa.rules", "60-persistent-input.rules",
	"60-persistent-storage-tape.rules", "60-persistent-storage.rules", "60-persistent-v4l.rules",
	"60-sensor.rules", "60-serial.rules", "64-btrfs.rules", "70-camera.rules", "70-joystick.rules",
	"70-memory.rules", "70-mouse.rules", "70-power-switch.rules", "70-touchpad.rules",
	"70-uaccess.rules", "71-seat.rules", "73-seat-late.rules", "75-net-description.rules",
	"75-probe_mtd.rules", "78-sound-card.rules", "80-drivers.rules", "80-net-setup-link.rules",
	"81-net-dhcp.rules", "90-vconsole.rules", "99-systemd.rules",
}

// systemd writes systemd's store path: the manager, daemons and tools,
// their shared library, the client libraries, pam_systemd, udev rules and
// the upstream units.
func systemd(t *tree, s store) {
	sd := s.path("systemd")
	st := t.in(sd)
	glibc := s.path("glibc")
	shared := sd + "/lib/systemd"
	st.elf("lib/systemd/libsystemd-shared-255.so", elfSpec{
		Needed:  []string{"libm.so.6", "libc.so.6", "ld-linux-x86-64.so.2"},
		Soname:  "libsystemd-shared-255.so",
		Runpath: glibc + "/lib",
		Exports: []string{"unit_name_is_valid", "sd_bus_open_system", "log_dispatch_internal"},
		Rodata:  []string{sd + "/lib/systemd", sd + "/example/systemd/system", "/etc/systemd/system", "/run/systemd"},
		Size:    914_848,
	})
	for _, b := range systemdBinaries {
		st.elf(b.rel, elfSpec{
			Interp:  glibc + "/lib/ld-linux-x86-64.so.2",
			Needed:  []string{"libsystemd-shared-255.so", "libc.so.6"},
			Runpath: runpath(shared, glibc+"/lib"),
			Imports: []string{"unit_name_is_valid", "log_dispatch_internal", "__libc_start_main"},
			Size:    b.size,
		})
	}
	st.link("bin/resolvectl", "../lib/systemd/systemd-resolved")
	st.link("lib/systemd/systemd-udevd", "../../bin/udevadm")
	for _, l := range []struct {
		file, soname, dev string
		size              int
	}{{"libsystemd.so.0.38.0", "libsystemd.so.0", "libsystemd.so", 402_752}, {"libudev.so.1.7.8", "libudev.so.1", "libudev.so", 200_192}} {
		st.elf("lib/"+l.file, elfSpec{
			Needed:  []string{"libc.so.6", "ld-linux-x86-64.so.2"},
			Soname:  l.soname,
			Runpath: glibc + "/lib",
			Exports: []string{"sd_notify", "sd_journal_print", "udev_new"},
			Size:    l.size,
		})
		st.link("lib/"+l.soname, l.file)
		st.link("lib/"+l.dev, l.file)
	}
	pam := s.path("linux-pam")
	st.elf("lib/security/pam_systemd.so", elfSpec{
		Needed:  []string{"libpam.so.0", "libsystemd-shared-255.so", "libc.so.6"},
		Runpath: runpath(pam+"/lib", shared, glibc+"/lib"),
		Exports: []string{"pam_sm_open_session", "pam_sm_close_session"},
		Size:    63_104,
	})
	for i, r := range udevRules {
		st.file("lib/udev/rules.d/"+r, udevRule(sd, r, 900+i*97))
	}
	for _, u := range systemdUnits {
		st.file("example/systemd/system/"+u.name, unitFile(sd, u.name, u.daemon))
	}
	st.link("example/systemd/system/autovt@.service", "getty@.service")
	st.link("example/systemd/system/ctrl-alt-del.target", "reboot.target")
	st.link("example/systemd/system/default.target", "graphical.target")
}

// unitFile is an upstream unit: a [Unit] section, and for a service an
// ExecStart naming its binary in the store path.
func unitFile(sd, name, daemon string) []byte {
	kind := name[strings.LastIndexByte(name, '.')+1:]
	base := strings.TrimSuffix(name, "."+kind)
	var b strings.Builder
	b.WriteString("#  SPDX-License-Identifier: LGPL-2.1-or-later\n#\n")
	b.WriteString("#  This file is part of systemd.\n#\n")
	b.WriteString("#  systemd is free software; you can redistribute it and/or modify it\n")
	b.WriteString("#  under the terms of the GNU Lesser General Public License as published by\n")
	b.WriteString("#  the Free Software Foundation; either version 2.1 of the License, or\n")
	b.WriteString("#  (at your option) any later version.\n\n")
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\nDocumentation=man:%s(%s)\n", unitDescription(base, kind), unitManPage(base, kind), unitManSection(kind))
	switch kind {
	case "target":
		b.WriteString("DefaultDependencies=no\nAllowIsolate=yes\n")
	case "socket":
		fmt.Fprintf(&b, "DefaultDependencies=no\nBefore=sockets.target\n\n[Socket]\nListenStream=/run/systemd/%s\nSocketMode=0600\n", base)
	case "mount", "automount":
		fmt.Fprintf(&b, "DefaultDependencies=no\nConditionPathExists=/%s\n\n[Mount]\nWhat=%s\nWhere=/%s\n", strings.ReplaceAll(base, "-", "/"), base, strings.ReplaceAll(base, "-", "/"))
	case "service":
		b.WriteString("DefaultDependencies=no\nConflicts=shutdown.target\nBefore=shutdown.target\n\n[Service]\n")
		if daemon != "" {
			fmt.Fprintf(&b, "ExecStart=%s/lib/systemd/%s\n", sd, daemon)
		} else {
			fmt.Fprintf(&b, "Type=oneshot\nRemainAfterExit=yes\nExecStart=%s/bin/systemctl --no-block %s\n", sd, base)
		}
		b.WriteString("ProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\nRestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6\n")
	}
	return []byte(b.String())
}

func unitDescription(base, kind string) string {
	words := strings.Fields(strings.NewReplacer("-", " ", "@", " ", "_", " ").Replace(strings.TrimPrefix(base, "systemd-")))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	if len(words) == 0 {
		return "Root Slice"
	}
	return strings.Join(words, " ") + " " + strings.ToUpper(kind[:1]) + kind[1:]
}

func unitManPage(base, kind string) string {
	if kind == "service" || kind == "socket" {
		return strings.TrimSuffix(base, "@") + "." + kind
	}
	return "systemd.special"
}

func unitManSection(kind string) string {
	if kind == "service" || kind == "socket" {
		return "8"
	}
	return "7"
}

// udevRule is a rules file of about size bytes.
func udevRule(sd, name string, size int) []byte {
	head := "# do not edit this file, it will be overwritten on update\n\n" +
		"ACTION==\"remove\", GOTO=\"" + strings.TrimSuffix(name, ".rules") + "_end\"\n" +
		"SUBSYSTEM==\"block\", IMPORT{program}=\"" + sd + "/lib/udev/ata_id --export $devnode\"\n"
	return padTo([]byte(head), size, func(n int) []byte { return prose(sd+"/lib/udev/rules.d/"+name, "# ", n) })
}

// pamModules are linux-pam's modules, with sizes.
var pamModules = []struct {
	name string
	size int
}{
	{"pam_deny.so", 14_264}, {"pam_env.so", 22_720}, {"pam_keyinit.so", 18_488}, {"pam_lastlog.so", 22_808},
	{"pam_limits.so", 26_912}, {"pam_loginuid.so", 14_504}, {"pam_mkhomedir.so", 18_496},
	{"pam_motd.so", 22_736}, {"pam_nologin.so", 14_360}, {"pam_permit.so", 14_224}, {"pam_rootok.so", 14_416},
	{"pam_shells.so", 14_408}, {"pam_unix.so", 63_272}, {"pam_wheel.so", 14_496},
}

// linuxPAM writes linux-pam's store path: libpam, the modules and their
// configuration files.
func linuxPAM(t *tree, s store) {
	pam := s.path("linux-pam")
	st := t.in(pam)
	glibcLib := s.path("glibc") + "/lib"
	for _, l := range []struct {
		file, soname string
		size         int
	}{{"libpam.so.0.85.1", "libpam.so.0", 66_928}, {"libpam_misc.so.0.82.1", "libpam_misc.so.0", 14_880}, {"libpamc.so.0.82.1", "libpamc.so.0", 14_992}} {
		st.elf("lib/"+l.file, elfSpec{
			Needed:  []string{"libc.so.6"},
			Soname:  l.soname,
			Runpath: glibcLib,
			Exports: []string{"pam_start", "pam_authenticate", "pam_open_session"},
			Rodata:  []string{pam + "/lib/security", "/etc/pam.d", "/etc/pam.conf"},
			Size:    l.size,
		})
		st.link("lib/"+l.soname, l.file)
	}
	for _, m := range pamModules {
		st.elf("lib/security/"+m.name, elfSpec{
			Needed:  []string{"libpam.so.0", "libc.so.6"},
			Runpath: runpath(pam+"/lib", glibcLib),
			Exports: []string{"pam_sm_authenticate", "pam_sm_setcred"},
			Size:    m.size,
		})
	}
	st.elf("sbin/unix_chkpwd", elfSpec{
		Interp:  s.path("glibc") + "/lib/ld-linux-x86-64.so.2",
		Needed:  []string{"libc.so.6"},
		Runpath: glibcLib,
		Imports: []string{"__libc_start_main", "getpwnam"},
		Size:    35_360,
	})
	st.file("etc/security/limits.conf", prose(pam+"/etc/security/limits.conf", "# ", 2_422))
	st.file("etc/security/pam_env.conf", prose(pam+"/etc/security/pam_env.conf", "# ", 2_972))
	st.file("etc/security/namespace.conf", prose(pam+"/etc/security/namespace.conf", "# ", 1_440))
	st.file("etc/environment", []byte{})
}
