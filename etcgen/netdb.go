package etcgen

import (
	"fmt"
	"strconv"
	"strings"
)

// Service is one line of /etc/services: a name, a port and protocol, the
// aliases and the comment, and the line as the image wrote it (so the
// written file keeps its layout and comments).
type Service struct {
	Name    string   `json:"name"`
	Port    int      `json:"port"`
	Proto   string   `json:"proto"`
	Aliases []string `json:"aliases,omitempty"`
	Comment string   `json:"comment,omitempty"`
	Line    string   `json:"-"`
}

// Protocol is one line of /etc/protocols.
type Protocol struct {
	Name    string   `json:"name"`
	Number  int      `json:"number"`
	Aliases []string `json:"aliases,omitempty"`
	Comment string   `json:"comment,omitempty"`
	Line    string   `json:"-"`
}

// Skipped is an entry of the image that the catalog left out, and why.
type Skipped struct {
	Path   string `json:"path"`
	Entry  string `json:"entry,omitempty"`
	Reason string `json:"reason"`
}

// splitComment splits a netdb line into its fields and its comment.
func splitComment(line string) (fields []string, comment string) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		comment = strings.TrimSpace(line[i+1:])
		line = line[:i]
	}
	return strings.Fields(line), comment
}

// maxNetdbLine bounds a line (glibc reads them whole; a hostile file could
// hold one huge line).
const maxNetdbLine = 4096

// netdbLines calls parse for each entry line of a netdb file (services,
// protocols): fields with the comment split off, the line itself (without
// CR), and its number. Blank, comment-only and over-long lines never reach
// parse; what parse rejects (a non-empty reason) and over-long lines become
// skipped entries attributed to file.
func netdbLines(file string, data []byte, parse func(fields []string, comment, line string) (reason string)) []Skipped {
	var skipped []Skipped
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		fields, comment := splitComment(line)
		if len(fields) == 0 {
			continue
		}
		reason := "line too long"
		if len(line) <= maxNetdbLine {
			reason = parse(fields, comment, line)
		}
		if reason != "" {
			skipped = append(skipped, Skipped{Path: file, Entry: fmt.Sprintf("line %d", n+1), Reason: reason})
		}
	}
	return skipped
}

// aliases returns the valid names among fields.
func aliases(fields []string) []string {
	var out []string
	for _, a := range fields {
		if validName(a) {
			out = append(out, a)
		}
	}
	return out
}

// ParseServices parses the text of an /etc/services file as glibc's
// nss_files does: "name port/proto [alias...] [# comment]". Blank and
// comment-only lines are dropped; malformed lines are returned as skipped
// entries with the reason, attributed to file.
func ParseServices(file string, data []byte) ([]Service, []Skipped) {
	var out []Service
	skipped := netdbLines(file, data, func(fields []string, comment, line string) string {
		if len(fields) < 2 {
			return fmt.Sprintf("%q has no port/protocol", fields[0])
		}
		portS, proto, ok := strings.Cut(fields[1], "/")
		if !ok || proto == "" || !validName(proto) {
			return fmt.Sprintf("%q: want port/protocol, got %q", fields[0], fields[1])
		}
		port, err := strconv.Atoi(portS)
		if err != nil || port < 0 || port > 65535 || portS[0] == '+' || portS[0] == '-' {
			return fmt.Sprintf("%q: bad port %q", fields[0], portS)
		}
		if !validName(fields[0]) {
			return fmt.Sprintf("bad service name %q", fields[0])
		}
		out = append(out, Service{Name: fields[0], Port: port, Proto: proto, Aliases: aliases(fields[2:]), Comment: comment, Line: line})
		return ""
	})
	return out, skipped
}

// ParseProtocols parses the text of an /etc/protocols file: "name number
// [alias...] [# comment]".
func ParseProtocols(file string, data []byte) ([]Protocol, []Skipped) {
	var out []Protocol
	skipped := netdbLines(file, data, func(fields []string, comment, line string) string {
		if len(fields) < 2 {
			return fmt.Sprintf("%q has no protocol number", fields[0])
		}
		num, err := strconv.Atoi(fields[1])
		if err != nil || num < 0 || num > 65535 || fields[1][0] == '+' || fields[1][0] == '-' {
			return fmt.Sprintf("%q: bad protocol number %q", fields[0], fields[1])
		}
		if !validName(fields[0]) {
			return fmt.Sprintf("bad protocol name %q", fields[0])
		}
		out = append(out, Protocol{Name: fields[0], Number: num, Aliases: aliases(fields[2:]), Comment: comment, Line: line})
		return ""
	})
	return out, skipped
}

// validName accepts the printable, non-space ASCII that netdb names use.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '#' {
			return false
		}
	}
	return true
}

// fallbackServices is the built-in /etc/services used when the image has
// none: the services containers most often name, in netbase's layout.
const fallbackServices = `ftp-data	20/tcp
ftp		21/tcp
ssh		22/tcp				# SSH Remote Login Protocol
telnet		23/tcp
smtp		25/tcp		mail
domain		53/tcp				# Domain Name Server
domain		53/udp
bootps		67/udp
bootpc		68/udp
tftp		69/udp
http		80/tcp		www		# WorldWideWeb HTTP
pop3		110/tcp		pop-3		# POP version 3
sunrpc		111/tcp		portmapper	# RPC 4.0 portmapper
sunrpc		111/udp		portmapper
ntp		123/udp				# Network Time Protocol
imap2		143/tcp		imap		# Interim Mail Access P 2 and 4
snmp		161/tcp				# Simple Net Mgmt Protocol
snmp		161/udp
ldap		389/tcp				# Lightweight Directory Access Protocol
ldap		389/udp
https		443/tcp				# http protocol over TLS/SSL
https		443/udp				# HTTP/3
submissions	465/tcp		ssmtp smtps urd # Submission over TLS [RFC8314]
syslog		514/udp
submission	587/tcp				# Submission [RFC4409]
ldaps		636/tcp				# LDAP over SSL
ldaps		636/udp
imaps		993/tcp				# IMAP over SSL
pop3s		995/tcp				# POP-3 over SSL
mysql		3306/tcp
postgresql	5432/tcp	postgres	# PostgreSQL Database
amqp		5672/tcp
redis		6379/tcp
http-alt	8080/tcp	webcache	# WWW caching service
memcached	11211/tcp
mongodb		27017/tcp
`

// fallbackProtocols is the built-in /etc/protocols used when the image has
// none.
const fallbackProtocols = `ip	0	IP		# internet protocol, pseudo protocol number
icmp	1	ICMP		# internet control message protocol
igmp	2	IGMP		# Internet Group Management
tcp	6	TCP		# transmission control protocol
udp	17	UDP		# user datagram protocol
ipv6	41	IPv6		# Internet Protocol, version 6
ipv6-route 43	IPv6-Route	# Routing Header for IPv6
ipv6-frag 44	IPv6-Frag	# Fragment Header for IPv6
gre	47	GRE		# General Routing Encapsulation
esp	50	IPSEC-ESP	# Encap Security Payload [RFC2406]
ah	51	IPSEC-AH	# Authentication Header [RFC2402]
ipv6-icmp 58	IPv6-ICMP	# ICMP for IPv6
ipv6-nonxt 59	IPv6-NoNxt	# No Next Header for IPv6
ipv6-opts 60	IPv6-Opts	# Destination Options for IPv6
sctp	132	SCTP		# Stream Control Transmission Protocol
udplite	136	UDPLite		# UDP-Lite [RFC3828]
`
