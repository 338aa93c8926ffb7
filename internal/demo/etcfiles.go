package demo

import (
	"fmt"
	"strings"
)

// Contents of the NixOS /etc files the demo writes whole.

const nsswitchConf = `passwd:    files systemd
group:     files [success=merge] systemd
shadow:    files

hosts:     mymachines files myhostname dns
networks:  files

ethers:    files
services:  files
protocols: files
rpc:       files
`

const osRelease = `ANSI_COLOR="1;34"
BUG_REPORT_URL="https://github.com/NixOS/nixpkgs/issues"
BUILD_ID="24.05.20240615.abcdef0"
DOCUMENTATION_URL="https://nixos.org/learn.html"
HOME_URL="https://nixos.org/"
ID=nixos
IMAGE_ID=""
IMAGE_VERSION=""
LOGO="nix-snowflake"
NAME=NixOS
PRETTY_NAME="NixOS 24.05 (Uakari)"
SUPPORT_END="2024-12-31"
SUPPORT_URL="https://nixos.org/community.html"
VERSION="24.05 (Uakari)"
VERSION_CODENAME=uakari
VERSION_ID="24.05"
`

const hostsFile = `127.0.0.1 localhost
::1 localhost
127.0.0.2 hello-web
`

const sudoersFile = `# Don't edit this file. Set the NixOS options 'security.sudo.configFile'
# or 'security.sudo.extraRules' instead.

# Keep SSH_AUTH_SOCK so that pam_ssh_agent_auth.so can do its magic.
Defaults env_keep+=SSH_AUTH_SOCK

# "root" is allowed to do anything.
root        ALL=(ALL:ALL) SETENV: ALL

# extraRules
%wheel  ALL=(ALL:ALL)    SETENV: ALL
`

// systemUsers are the accounts of the NixOS system: name, uid, gid,
// description, home.
var systemUsers = []struct {
	name  string
	uid   int
	gid   int
	gecos string
	home  string
}{
	{"root", 0, 0, "System administrator", "/root"},
	{"messagebus", 4, 4, "D-Bus system message bus daemon user", "/run/dbus"},
	{"sshd", 998, 997, "SSH privilege separation user", "/var/empty"},
	{"hello-web", 999, 999, "hello-web service", "/var/lib/hello-web"},
	{"nscd", 997, 996, "", "/var/empty"},
	{"systemd-coredump", 151, 995, "", "/var/empty"},
	{"systemd-network", 152, 152, "", "/var/empty"},
	{"systemd-oom", 996, 994, "", "/var/empty"},
	{"systemd-resolve", 153, 153, "", "/var/empty"},
	{"systemd-timesync", 154, 154, "", "/var/empty"},
	{"nobody", 65534, 65534, "Unprivileged account (don't use!)", "/var/empty"},
}

// systemGroups are the groups: name, gid, members.
var systemGroups = []struct {
	name    string
	gid     int
	members string
}{
	{"root", 0, ""}, {"wheel", 1, ""}, {"kmem", 2, ""}, {"tty", 3, ""}, {"messagebus", 4, ""},
	{"disk", 6, ""}, {"audio", 17, ""}, {"floppy", 18, ""}, {"uucp", 19, ""}, {"lp", 20, ""},
	{"cdrom", 24, ""}, {"tape", 25, ""}, {"video", 26, ""}, {"dialout", 27, ""}, {"utmp", 29, ""},
	{"adm", 55, ""}, {"keys", 96, ""}, {"users", 100, ""}, {"systemd-journal", 62, ""},
	{"systemd-network", 152, ""}, {"systemd-resolve", 153, ""}, {"systemd-timesync", 154, ""},
	{"input", 174, ""}, {"kvm", 302, ""}, {"render", 303, ""}, {"sgx", 304, ""}, {"shadow", 318, ""},
	{"nixbld", 30000, nixbldMembers()}, {"systemd-oom", 994, ""}, {"systemd-coredump", 995, ""},
	{"nscd", 996, ""}, {"sshd", 997, ""}, {"hello-web", 999, ""}, {"nogroup", 65534, ""},
}

func nixbldMembers() string {
	var m []string
	for i := 1; i <= 32; i++ {
		m = append(m, fmt.Sprintf("nixbld%d", i))
	}
	return strings.Join(m, ",")
}

// passwdFile is /etc/passwd as NixOS' update-users-groups.pl writes it.
func passwdFile() []byte {
	var b strings.Builder
	shell := "/run/current-system/sw/bin/nologin"
	for _, u := range systemUsers {
		sh := shell
		if u.name == "root" {
			sh = "/run/current-system/sw/bin/bash"
		}
		fmt.Fprintf(&b, "%s:x:%d:%d:%s:%s:%s\n", u.name, u.uid, u.gid, u.gecos, u.home, sh)
	}
	for i := 1; i <= 32; i++ {
		fmt.Fprintf(&b, "nixbld%d:x:%d:30000:Nix build user %d:/var/empty:%s\n", i, 30000+i, i, shell)
	}
	return []byte(b.String())
}

// groupFile is /etc/group.
func groupFile() []byte {
	var b strings.Builder
	for _, g := range systemGroups {
		fmt.Fprintf(&b, "%s:x:%d:%s\n", g.name, g.gid, g.members)
	}
	return []byte(b.String())
}

// shadowFile is /etc/shadow: every account locked.
func shadowFile() []byte {
	var b strings.Builder
	for _, u := range systemUsers {
		fmt.Fprintf(&b, "%s:!:1::::::\n", u.name)
	}
	for i := 1; i <= 32; i++ {
		fmt.Fprintf(&b, "nixbld%d:!:1::::::\n", i)
	}
	return []byte(b.String())
}

// setEnvironment is NixOS' set-environment, which /etc/profile sources.
func setEnvironment(s store) []byte {
	return []byte(`# DO NOT EDIT -- this file has been generated automatically.

# Prevent this file from being sourced by child shells.
export __NIXOS_SET_ENVIRONMENT_DONE=1

export EDITOR="nano"
export INFOPATH="$HOME/.nix-profile/info:$HOME/.nix-profile/share/info:/nix/profile/info:/nix/profile/share/info:/run/current-system/sw/info:/run/current-system/sw/share/info"
export LOCALE_ARCHIVE="` + s.path("glibc-locales") + `/lib/locale/locale-archive"
export NIX_PATH="nixpkgs=/nix/var/nix/profiles/per-user/root/channels/nixos:nixos-config=/etc/nixos/configuration.nix:/nix/var/nix/profiles/per-user/root/channels"
export PAGER="less"
export PATH="$HOME/bin:/run/wrappers/bin:$HOME/.nix-profile/bin:/nix/profile/bin:/run/current-system/sw/bin"
export TZDIR="/etc/zoneinfo"
`)
}

// helloWebService is the application's unit, which NixOS generates with
// a correct environment (unlike the image config).
func helloWebService(s store) []byte {
	return []byte(`[Unit]
After=network.target
Description=hello-web

[Service]
Environment="LOCALE_ARCHIVE=` + s.path("glibc-locales") + `/lib/locale/locale-archive"
Environment="PATH=` + s.path("app") + `/bin:` + s.path("python3") + `/bin:` + s.path("systemd") + `/bin"
Environment="SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
Environment="TZDIR=` + s.path("tzdata") + `/share/zoneinfo"
ExecStart=` + s.path("app") + `/bin/hello-web --port 8080
Restart=on-failure
StateDirectory=hello-web
User=hello-web
WorkingDirectory=/var/lib/hello-web

[Install]
WantedBy=multi-user.target
`)
}

// pamService is a pam.d file in NixOS' style, naming modules by store
// path.
func pamService(s store, name string) []byte {
	pam := s.path("linux-pam") + "/lib/security/"
	sd := s.path("systemd") + "/lib/security/"
	return []byte(fmt.Sprintf(`# Account management.
account required %[1]spam_unix.so # unix (order 10900)

# Authentication management.
auth sufficient %[1]spam_rootok.so # rootok (order 10200)
auth required %[1]spam_unix.so likeauth try_first_pass # unix (order 11500)
auth required %[1]spam_deny.so # deny (order 12300)

# Password management.
password sufficient %[1]spam_unix.so nullok yescrypt # unix (order 10200)

# Session management (%[3]s).
session required %[1]spam_env.so conffile=/etc/pam/environment readenv=0 # env (order 10100)
session required %[1]spam_unix.so # unix (order 10200)
session required %[1]spam_loginuid.so # loginuid (order 10300)
session optional %[2]spam_systemd.so # systemd (order 12000)
session required %[1]spam_limits.so conf=/etc/security/limits.conf # limits (order 12200)
`, pam, sd, name))
}

// moduliFile is ssh's moduli: one Diffie-Hellman group per line.
func moduliFile(key string, n int) []byte {
	r := newRand(key)
	var b strings.Builder
	b.WriteString("#    $OpenBSD: moduli,v 1.38 2024/06/04 21:59:15 dtucker Exp $\n")
	b.WriteString("# Time Type Tests Tries Size Generator Modulus\n")
	const hex = "0123456789ABCDEF"
	for b.Len() < n {
		line := make([]byte, 0, 800)
		line = fmt.Appendf(line, "2024%04d%06d 2 6 100 3071 %d ", 101+r.IntN(1100), r.IntN(240000), 2+3*r.IntN(2))
		line = append(line, 'F', 'F', 'F', 'F')
		for range 764 {
			line = append(line, hex[r.IntN(16)])
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
