package closure

import (
	"bufio"
	"bytes"
	"debug/elf"
	"io"
	"maps"
	"path"
	"slices"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/closure/script"
	"github.com/whittle-dev/whittle/closure/shebang"
	"github.com/whittle-dev/whittle/internal/binenc"
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
const factsKind = "closure-facts-v3"

// learn reads one content of size bytes and returns its facts; sink sees
// every byte (the Nix reference scanners).
func learn(r io.Reader, size int64, br *bufio.Reader, sink io.Writer) (*contentFacts, error) {
	br.Reset(r)
	f := &contentFacts{}
	head, _ := br.Peek(shebang.HeadSize)
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		// Read into one buffer of the file's size (io.ReadAll would grow
		// and copy a large library many times).
		buf := bytes.NewBuffer(make([]byte, 0, min(max(size, 0), maxELFSize)+bytes.MinRead))
		if _, err := buf.ReadFrom(io.LimitReader(br, maxELFSize)); err != nil {
			return nil, err
		}
		data := buf.Bytes()
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
	lf, err := decodeLayerFacts(binenc.NewDecoderOwned(b))
	if err != nil {
		return nil
	}
	return lf
}

func storeLayerFacts(c *analyze.Cache, key string, lf layerFacts) {
	_ = c.PutData(factsKind, key, appendLayerFacts(nil, lf)) // a cache that cannot be written only costs time
}

// Which parts of contentFacts an encoded entry holds.
const (
	hasELF = 1 << iota
	hasRuntime
	hasScript
	hasShell
)

// appendLayerFacts encodes a layer's facts with binenc, by position.
func appendLayerFacts(b []byte, lf layerFacts) []byte {
	b = binenc.AppendUvarint(b, uint64(len(lf)))
	for _, pos := range slices.Sorted(maps.Keys(lf)) {
		f := lf[pos]
		b = binenc.AppendUvarint(b, uint64(pos))
		var flags byte
		if f.ELF != nil {
			flags |= hasELF
		}
		if f.Runtime != nil {
			flags |= hasRuntime
		}
		if f.Script != nil {
			flags |= hasScript
		}
		if f.Shell != nil {
			flags |= hasShell
		}
		b = append(b, flags)
		b = binenc.AppendString(b, f.ELFErr)
		b = binenc.AppendString(b, f.Dialect)
		if e := f.ELF; e != nil {
			for _, v := range []uint64{uint64(e.Class), uint64(e.Data), uint64(e.Machine), uint64(e.Type), uint64(e.Flags1)} {
				b = binenc.AppendUvarint(b, v)
			}
			b = binenc.AppendString(b, e.Interp)
			b = appendBool(b, e.Dynamic)
			b = binenc.AppendStrings(b, e.Needed)
			b = binenc.AppendString(b, e.Soname)
			b = binenc.AppendStrings(b, e.RPath)
			b = binenc.AppendStrings(b, e.RunPath)
			b = binenc.AppendStrings(b, e.Bad)
		}
		if r := f.Runtime; r != nil {
			b = binenc.AppendString(b, r.OpenSSLDir)
			b = binenc.AppendString(b, r.EnginesDir)
			b = binenc.AppendString(b, r.ModulesDir)
			b = binenc.AppendStrings(b, r.Paths)
			b = appendBool(b, r.Dlopen)
		}
		if sc := f.Script; sc != nil {
			b = binenc.AppendString(b, sc.Interpreter)
			b = binenc.AppendString(b, sc.Arg)
			b = appendBool(b, sc.HasArg)
			b = appendBool(b, sc.Env)
			b = binenc.AppendString(b, sc.Command)
			b = binenc.AppendStrings(b, sc.Args)
			b = binenc.AppendString(b, sc.Problem)
		}
		if f.Shell != nil {
			b = binenc.AppendString(b, string(f.Shell))
		}
	}
	return b
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// decodeLayerFacts reads what appendLayerFacts wrote; a script's text
// shares the decoder's buffer.
func decodeLayerFacts(d *binenc.Decoder) (layerFacts, error) {
	n := d.Count()
	lf := make(layerFacts, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		pos := int(d.Uvarint())
		flags := d.Byte()
		f := &contentFacts{ELFErr: d.String(), Dialect: d.String()}
		if flags&hasELF != 0 {
			e := &elfdeps.Info{}
			e.Class, e.Data, e.Machine = elf.Class(d.Uvarint()), elf.Data(d.Uvarint()), elf.Machine(d.Uvarint())
			e.Type, e.Flags1 = elf.Type(d.Uvarint()), elf.DynFlag1(d.Uvarint())
			e.Interp = d.String()
			e.Dynamic = d.Byte() == 1
			e.Needed = d.Strings()
			e.Soname = d.String()
			e.RPath, e.RunPath, e.Bad = d.Strings(), d.Strings(), d.Strings()
			f.ELF = e
		}
		if flags&hasRuntime != 0 {
			f.Runtime = &runtime.Facts{OpenSSLDir: d.String(), EnginesDir: d.String(), ModulesDir: d.String(), Paths: d.Strings(), Dlopen: d.Byte() == 1}
		}
		if flags&hasScript != 0 {
			sc := &shebang.Script{}
			sc.Interpreter, sc.Arg, sc.HasArg = d.String(), d.String(), d.Byte() == 1
			sc.Env, sc.Command, sc.Args, sc.Problem = d.Byte() == 1, d.String(), d.Strings(), d.String()
			f.Script = sc
		}
		if flags&hasShell != 0 {
			f.Shell = []byte(d.String())
		}
		lf[pos] = f
	}
	if err := d.Done(); err != nil {
		return nil, err
	}
	return lf, nil
}
