package analyze

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/cespare/xxhash/v2"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/compress"
	"github.com/whittle-dev/whittle/internal/tarsparse"
)

// Compression names how a layer is stored (compress.None, Gzip, Zstd, Xz,
// Bzip2).
type Compression = compress.Kind

// LayerIndex is what one streaming read of a layer's tar yields. It is what
// the cache stores, keyed by diff ID.
type LayerIndex struct {
	DiffID      v1.Hash
	Compression Compression
	// StoredBytes is the size of the layer as stored (compressed when
	// compressed); TarBytes the size of its uncompressed tar stream.
	StoredBytes int64
	TarBytes    int64
	// StoredDigest is the sha256 of the stored bytes, when a read computed
	// it (the digest was to be checked, or the source gives a fingerprint
	// the cache must be able to check again); the cache does not keep it
	// in the index but in the blob's facts.
	StoredDigest v1.Hash
	// Entries in tar order.
	Entries []Entry
	// Findings are suspicious entries (climbing out of the root, unknown
	// types); their Layer is zero until the index sets it.
	Findings []finding.Finding
}

// ContentBytes is the sum of the sizes of the layer's regular files: the
// bytes it stores, as dive counts a layer's size.
func (li *LayerIndex) ContentBytes() int64 {
	var n int64
	for i := range li.Entries {
		if li.Entries[i].Type.HasContent() {
			n += li.Entries[i].Size
		}
	}
	return n
}

// scanLayer reads one layer's stored stream once: it detects and undoes the
// compression, parses the tar, hashes every regular file's content and,
// when the wants are set, checks the uncompressed stream against the diff
// ID and the stored stream against the digest. Both digests are computed
// beside the parsing; for an uncompressed layer they are one and the same.
func scanLayer(ctx context.Context, stored io.Reader, wantDiffID, wantDigest v1.Hash) (*LayerIndex, error) {
	return scanLayerLearning(ctx, stored, wantDiffID, wantDigest, false, nil)
}

// learnFunc reads the bytes of the regular file at pos (its position in
// the layer's index) for a Learner; nil learns nothing.
type learnFunc func(pos int, e *Entry, r io.Reader) error

// scanLayerLearning is scanLayer that also hands the bytes of chosen
// files to learn as they stream past; with hashStored (or a digest to
// check) it sets StoredDigest.
func scanLayerLearning(ctx context.Context, stored io.Reader, wantDiffID, wantDigest v1.Hash, hashStored bool, learn learnFunc) (*LayerIndex, error) {
	counted := &countingReader{r: stored}
	br := bufio.NewReaderSize(counted, compress.BufferSize)
	magic, err := br.Peek(compress.MagicLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading layer: %w", err)
	}
	var src io.Reader = br
	var storedHash *asyncHasher
	if (wantDigest.Hex != "" || hashStored) && compress.Sniff(magic) != compress.None {
		storedHash = newAsyncHasher()
		defer storedHash.Close()
		src = io.TeeReader(br, storedHash)
	}
	uncompressed, err := compress.Open(bufio.NewReaderSize(src, 64<<10))
	if err != nil {
		return nil, err
	}
	defer uncompressed.Close()
	li := &LayerIndex{Compression: uncompressed.Kind}
	diffHash := newAsyncHasher()
	defer diffHash.Close()
	tarStream := &countingReader{r: uncompressed, w: diffHash}
	if err := scanTar(ctx, tarStream, li, learn); err != nil {
		return nil, err
	}
	// The tar's end-of-archive blocks and any padding belong to the diff ID.
	if _, err := io.Copy(io.Discard, tarStream); err != nil {
		return nil, fmt.Errorf("reading layer end: %w", compress.DescribeReadError(err))
	}
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fmt.Errorf("reading layer end: %w", compress.DescribeReadError(err))
	}
	li.TarBytes = tarStream.n
	li.StoredBytes = counted.n
	li.DiffID = diffHash.Sum()
	if wantDiffID.Hex != "" && wantDiffID != li.DiffID {
		return nil, fmt.Errorf("content does not match its diff ID %s (read %s)", wantDiffID, li.DiffID)
	}
	if wantDigest.Hex != "" || hashStored {
		li.StoredDigest = li.DiffID
		if storedHash != nil {
			li.StoredDigest = storedHash.Sum()
		}
	}
	if wantDigest.Hex != "" {
		if got := li.StoredDigest; got != wantDigest {
			return nil, fmt.Errorf("stored blob does not match its digest %s (read %s)", wantDigest, got)
		}
	}
	return li, nil
}

// scanTar reads the entries of a tar stream r; at counts the bytes read
// of r so far (nil: offsets are not recorded).
func scanTar(ctx context.Context, r io.Reader, li *LayerIndex, learn learnFunc) error {
	at, _ := r.(*countingReader)
	tr := tarsparse.NewReader(r)
	buf := make([]byte, compress.BufferSize)
	h := xxhash.New()
	var entries entryChunks
	// What a learner reads of an entry goes through seen to the hash (one
	// reader for every entry: a learner reads only during its call).
	seen := &countingReader{r: tr, w: h}
	defer func() { li.Entries = entries.join(li.Entries) }()
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil // an empty stream is an empty layer
		}
		if err != nil {
			return fmt.Errorf("reading tar entry %d: %w", n+1, compress.DescribeReadError(err))
		}
		e, ok, problem := entryFromHeader(hdr)
		if problem != nil {
			li.Findings = append(li.Findings, *problem)
		}
		if !ok {
			continue
		}
		if e.Type.HasContent() {
			h.Reset()
			var start int64
			if at != nil {
				start = at.n // archive/tar reads no further than a header asks
			}
			if frags, ok := tr.Sparse(); ok {
				// Hashed for what the layer stores, never read for the
				// file's apparent size (a terabyte of holes).
				if _, err := hashSparse(h, frags, tr.Data(), buf); err != nil {
					return fmt.Errorf("reading %s: %w", e.Path, compress.DescribeReadError(err))
				}
				e.Hash = h.Sum64()
				entries.add(e)
				continue
			}
			var got int64
			if learn != nil && e.Type == TypeRegular {
				// The learner reads what it wants through the hash; the
				// rest is hashed below.
				seen.n = 0
				if err := learn(len(li.Entries)+entries.len(), &e, seen); err != nil {
					return fmt.Errorf("reading %s: %w", e.Path, compress.DescribeReadError(err))
				}
				got = seen.n
			}
			rest, err := io.CopyBuffer(h, tr, buf)
			got += rest
			if err != nil {
				return fmt.Errorf("reading %s: %w", e.Path, compress.DescribeReadError(err))
			}
			if got != hdr.Size {
				return fmt.Errorf("reading %s: %d of %d bytes: layer is truncated", e.Path, got, hdr.Size)
			}
			e.Hash = h.Sum64()
			if at != nil && e.Type == TypeRegular && at.n-start == got && got > 0 && !sparse(hdr) {
				e.Offset = start // the bytes lie whole in the stream
			}
		}
		entries.add(e)
	}
}

// entryChunks gathers a layer's entries in blocks of a fixed size, joined
// once at the end: appending to one slice copies it again at every growth
// (five times its final size for hundreds of thousands of entries, most
// of a layer's indexing time after the tar reader's).
type entryChunks struct {
	full [][]Entry
	cur  []Entry
	n    int
}

// entryChunk is the entries in a block (80 bytes each: 320 KiB).
const entryChunk = 4096

func (c *entryChunks) add(e Entry) {
	if len(c.cur) == cap(c.cur) {
		if c.cur != nil {
			c.full = append(c.full, c.cur)
		}
		c.cur = make([]Entry, 0, min(entryChunk, max(64, 2*c.n)))
	}
	c.cur = append(c.cur, e)
	c.n++
}

func (c *entryChunks) len() int { return c.n }

// join returns to followed by the gathered entries, in one allocation of
// their exact length (to itself when nothing was gathered).
func (c *entryChunks) join(to []Entry) []Entry {
	if c.n == 0 {
		return to
	}
	if len(to) == 0 && len(c.full) == 0 {
		return c.cur
	}
	out := make([]Entry, 0, len(to)+c.n)
	out = append(out, to...)
	for _, b := range c.full {
		out = append(out, b...)
	}
	return append(out, c.cur...)
}

// entryFromHeader turns a tar header into an Entry. ok is false for entries
// that carry no file (PAX global headers, AUFS metadata); problem is set for
// suspicious ones.
func entryFromHeader(hdr *tar.Header) (e Entry, ok bool, problem *finding.Finding) {
	clean, escapes := CleanPath(hdr.Name)
	if escapes {
		problem = &finding.Finding{
			Kind: KindClimbsOut, Severity: finding.Warning, Paths: []string{clean},
			Message: fmt.Sprintf("tar entry %q climbs out of the root with ..; read as %s", hdr.Name, clean),
			Fix:     "rebuild the layer with paths relative to its root",
		}
	}
	e = Entry{
		Path: clean,
		Size: 0,
		Mode: uint32(hdr.Mode & 0o7777),
		UID:  int32(hdr.Uid),
		GID:  int32(hdr.Gid),
	}
	if aufsMeta(clean) >= 0 {
		// AUFS bookkeeping (.wh..wh.aufs, .wh..wh.orph/, .wh..wh.plnk/):
		// no path of the image, but a plnk file is content that hardlinks
		// elsewhere share.
		if isLinkSourcePath(clean) && hdr.Typeflag == tar.TypeReg {
			e.Type, e.Size = TypeLinkSource, hdr.Size
			return e, true, problem
		}
		return e, false, problem
	}
	base := path.Base(clean)
	if dir := path.Dir(clean); problem == nil && strings.Contains(dir+"/", "/.wh.") {
		// A whiteout's name used as a directory ("a/.wh.b/c"): no
		// layer tool writes it; kept as written, and said.
		problem = badWhiteout(clean, fmt.Sprintf("%s lies under a directory named like a whiteout; kept as written", clean))
	}
	if strings.HasPrefix(base, ".wh.") {
		switch name := base[len(".wh."):]; {
		case base == ".wh..wh..opq":
			e.Path, e.Type = path.Dir(clean), TypeOpaque
			switch {
			case hdr.Typeflag != tar.TypeReg:
				// Docker makes a directory opaque whatever the marker's
				// type; whittle does too, but says so.
				problem = badWhiteout(clean, fmt.Sprintf("opaque marker %s is a %s, not an empty file; %s is made opaque as Docker does", clean, typeName(hdr.Typeflag), e.Path))
			case e.Path == "/":
				problem = badWhiteout(clean, "opaque marker at the root: it hides every file of the layers below")
			}
		case name == "" || name == "." || name == "..":
			// ".wh." alone, ".wh..", ".wh...": no file is named. Docker
			// would delete the directory (or its parent); whittle does
			// not guess, it skips the entry and says so.
			return e, false, badWhiteout(clean, fmt.Sprintf("whiteout %s names no file (%q); skipped (Docker would delete %s)", clean, name, path.Join(path.Dir(clean), name)))
		default:
			e.Path, e.Type = path.Join(path.Dir(clean), name), TypeWhiteout
		}
		return e, true, problem
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont: // the tar reader turns TypeRegA into TypeReg
		e.Type, e.Size = TypeRegular, hdr.Size
	case tar.TypeDir:
		e.Type = TypeDir
	case tar.TypeSymlink:
		e.Type, e.Link = TypeSymlink, hdr.Linkname
	case tar.TypeLink:
		target, esc := CleanPath(hdr.Linkname)
		if esc {
			problem = &finding.Finding{
				Kind: KindLinkOutside, Severity: finding.Warning, Paths: []string{clean},
				Message: fmt.Sprintf("hardlink %s points out of the root (%q); read as %s", clean, hdr.Linkname, target),
			}
		}
		e.Type, e.Link = TypeHardlink, target
	case tar.TypeChar:
		e.Type = TypeChar
	case tar.TypeBlock:
		e.Type = TypeBlock
	case tar.TypeFifo:
		e.Type = TypeFIFO
	case tar.TypeXGlobalHeader:
		return e, false, problem
	default:
		return e, false, &finding.Finding{
			Kind: KindUnsupportedEntry, Severity: finding.Warning, Paths: []string{clean},
			Message: fmt.Sprintf("tar entry %s has unsupported type %q; skipped", clean, hdr.Typeflag),
		}
	}
	return e, true, problem
}

// badWhiteout is the finding of a malformed whiteout or opaque marker.
func badWhiteout(p, msg string) *finding.Finding {
	return &finding.Finding{
		Kind: KindBadWhiteout, Severity: finding.Warning, Paths: []string{p}, Message: msg,
		Fix: "rebuild the layer: a whiteout is an empty file .wh.NAME beside the deleted NAME, an opaque marker an empty file .wh..wh..opq",
	}
}

// typeName names a tar entry type for messages.
func typeName(t byte) string {
	switch t {
	case tar.TypeDir:
		return "directory"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "FIFO"
	}
	return fmt.Sprintf("tar entry of type %q", t)
}

// countingReader counts the bytes read through it and, when w is set,
// copies them there.
type countingReader struct {
	r io.Reader
	w io.Writer
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.w != nil && n > 0 {
		c.w.Write(p[:n])
	}
	return n, err
}

var zeroHash v1.Hash

// sparse reports whether a header describes a sparse file (GNU's old
// format, or PAX's GNU.sparse records), whose stored bytes are a map and
// the data without its holes: even when they add up to the file's size,
// they are not the file.
func sparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
