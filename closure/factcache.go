package closure

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"io"
	"path"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/closure/script"
	"github.com/whittle-dev/whittle/closure/shebang"
)

// contentFacts is what the closure learns from one file's bytes: its ELF
// facts (or why they could not be read), the run-time rules' facts, its
// #! line, and the text of a shell script. It depends on the bytes alone,
// so it is cached by where the bytes are stored (a layer's diff ID and
// the entry's position), and a warm graph reads no layer.
type contentFacts struct {
	ELF     *elfdeps.Info
	ELFErr  string
	Runtime *runtime.Facts
	Script  *shebang.Script
	Shell   []byte
	Dialect string
}

// fsScope names the small files the closure reads in the content cache
// (analyze.ImageFS.WithCache).
const fsScope = "closure"

// factsKind names the closure's entries in the layer cache; the version
// changes with contentFacts or with what learn extracts.
const factsKind = "closure-facts-v1"

// learn reads one content and returns its facts; sink sees every byte
// (the Nix reference scanners).
func learn(r io.Reader, br *bufio.Reader, sink io.Writer) (*contentFacts, error) {
	br.Reset(r)
	f := &contentFacts{}
	head, _ := br.Peek(shebang.HeadSize)
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		data, err := io.ReadAll(io.LimitReader(br, maxELFSize))
		if err != nil {
			return nil, err
		}
		sink.Write(data)
		info, err := elfdeps.Parse(bytes.NewReader(data))
		if err != nil {
			f.ELFErr = err.Error()
			return f, nil
		}
		f.ELF = info
		f.Runtime = runtime.Scan(data)
	case bytes.HasPrefix(head, []byte("#!")):
		s, err := shebang.ParseScript(head)
		if err != nil {
			break
		}
		f.Script = s
		if dialect := shellDialect(s); dialect != "" {
			data, err := io.ReadAll(io.LimitReader(br, script.DefaultMaxSize+1))
			if err != nil {
				return nil, err
			}
			sink.Write(data)
			f.Shell, f.Dialect = data, dialect
		}
	}
	_, err := io.Copy(sink, br)
	return f, err
}

// shellDialect is the shell a #! line runs a script with ("" for none).
func shellDialect(s *shebang.Script) string {
	interp, arg := s.Interpreter, s.Arg
	if s.Env {
		interp, arg = s.Command, ""
		if len(s.Args) > 0 {
			arg = s.Args[0]
		}
	}
	dialect := path.Base(interp)
	if dialect == "busybox" {
		if arg != "sh" && arg != "ash" {
			return ""
		}
		dialect = "ash"
	}
	if !script.IsShell(dialect) {
		return ""
	}
	return dialect
}

// apply records a content's facts for the node p that shows it.
func (b *builder) apply(n *analyze.Node, f *contentFacts) {
	p := n.Path()
	switch {
	case f.ELFErr != "":
		b.elfErr[n.Content] = errorString(f.ELFErr)
		b.problem("bad-elf", p, f.ELFErr)
	case f.ELF != nil:
		b.elfInfo[n.Content] = f.ELF
		if f.Runtime != nil {
			b.facts[n.Content] = f.Runtime
		}
	case f.Script != nil:
		b.scripts[p] = f.Script
		if f.Shell != nil {
			if b.sh.src == nil {
				b.sh.src, b.sh.dialect = map[string][]byte{}, map[string]string{}
			}
			b.sh.src[p], b.sh.dialect[p] = f.Shell, f.Dialect
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// layerFacts are the facts of the contents of one layer, by entry
// position, as cached.
type layerFacts map[int]*contentFacts

func loadLayerFacts(c *analyze.Cache, key string) layerFacts {
	b, ok := c.GetData(factsKind, key)
	if !ok {
		return nil
	}
	var lf layerFacts
	if gob.NewDecoder(bytes.NewReader(b)).Decode(&lf) != nil {
		return nil
	}
	return lf
}

func storeLayerFacts(c *analyze.Cache, key string, lf layerFacts) {
	var buf bytes.Buffer
	if gob.NewEncoder(&buf).Encode(lf) == nil {
		_ = c.PutData(factsKind, key, buf.Bytes()) // a cache that cannot be written only costs time
	}
}
