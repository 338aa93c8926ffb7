package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/whittle-dev/whittle/internal/compress"
)

func init() {
	register(TransportDockerArchive, SourceFunc(func(ctx context.Context, r Reference, opts Options) (*Image, error) {
		a, err := openTarArchive(r.Value)
		if err != nil {
			return nil, describeOpenError(err)
		}
		im, err := openDockerArchive(r, a)
		if err != nil {
			a.Close()
			return nil, err
		}
		im.AddCloser(a.Close)
		return im, nil
	}))
}

// metadataLimit bounds the manifests and configs read into memory: real
// ones are kilobytes; a hostile archive must not make us allocate gigabytes.
const metadataLimit = 64 << 20

type dockerManifestEntry struct {
	Config       string
	RepoTags     []string
	Layers       []string
	LayerSources map[string]json.RawMessage `json:",omitempty"`
}

// openDockerArchive reads a `docker save` archive (any version: the
// classic <id>/layer.tar layout and Docker 25's OCI blobs alike).
func openDockerArchive(ref Reference, a *tarArchive) (*Image, error) {
	b, err := a.ReadFile("manifest.json", metadataLimit)
	if err != nil {
		return nil, fmt.Errorf("not a docker archive: %w", err)
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("parsing manifest.json: %w", err)
	}
	entry, err := pickArchiveImage(entries, ref.Tag)
	if err != nil {
		return nil, err
	}
	raw, err := a.ReadFile(entry.Config, metadataLimit)
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	if want := blobHex(entry.Config); want != "" {
		sum := sha256.Sum256(raw)
		if got := hex.EncodeToString(sum[:]); got != want {
			return nil, fmt.Errorf("image config %s does not match its digest (sha256:%s)", entry.Config, got)
		}
	}
	var layers []*Layer
	for i, p := range entry.Layers {
		m, err := a.member(p)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		l := &Layer{Size: m.size, open: memberOpener(a, m), stat: memberStat(a, m), fingerprint: memberFingerprint(a, m)}
		var magic [compress.MagicLen]byte
		n, _ := a.f.ReadAt(magic[:min(int64(len(magic)), m.size)], m.offset)
		switch compress.Sniff(magic[:n]) {
		case compress.Gzip:
			l.MediaType = types.DockerLayer
		case compress.Zstd:
			l.MediaType = types.OCILayerZStd
		default:
			// Plain, and xz and bzip2 (which Docker reads, but no media
			// type names): handed on by their tar stream when built on.
			l.MediaType = types.DockerUncompressedLayer
		}
		if h := blobHex(p); h != "" {
			l.Digest = v1.Hash{Algorithm: "sha256", Hex: h}
			l.VerifyDigest = true
		}
		layers = append(layers, l)
	}
	return newImage(ref, raw, layers)
}

func memberOpener(a *tarArchive, m *tarMember) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		return memberReader{io.NewSectionReader(a.f, m.offset, m.size)}, nil
	}
}

// memberReader reads one archive member; it keeps io.ReaderAt, so that
// a file in an uncompressed layer can be read where it lies. Closing it
// leaves the archive open (the image closes it).
type memberReader struct{ *io.SectionReader }

func (memberReader) Close() error { return nil }

// memberStat checks that a member's data still lies within the archive
// file (which may have been cut short since it was opened).
func memberStat(a *tarArchive, m *tarMember) func() (int64, error) {
	return func() (int64, error) {
		fi, err := a.f.Stat()
		if err != nil {
			return -1, err
		}
		if m.offset+m.size > fi.Size() {
			return -1, fmt.Errorf("%s is cut short in the archive (%d of %d bytes)", m.name, max(0, fi.Size()-m.offset), m.size)
		}
		return m.size, nil
	}
}

// blobHex returns the sha256 hex digest a member's name carries
// ("blobs/sha256/<hex>", "<hex>.json"), or "".
func blobHex(p string) string {
	base := strings.TrimSuffix(path.Base(p), ".json")
	if len(base) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(base); err != nil {
		return ""
	}
	if strings.HasSuffix(p, ".json") || strings.Contains(p, "sha256/") {
		return base
	}
	return ""
}

// pickArchiveImage chooses the image of a multi-image archive: by tag
// ("app:1", matched as Docker normalises names), by position ("@N",
// counting from 0, as skopeo does), or the only one.
func pickArchiveImage(entries []dockerManifestEntry, tag string) (*dockerManifestEntry, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("manifest.json lists no image")
	}
	if tag == "" {
		if len(entries) == 1 {
			return &entries[0], nil
		}
		return nil, fmt.Errorf("the archive holds %d images (%s); pick one with docker-archive:PATH:TAG or :@N", len(entries), archiveTags(entries))
	}
	if n, ok := strings.CutPrefix(tag, "@"); ok {
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 || i >= len(entries) {
			return nil, fmt.Errorf("no image @%s: the archive holds %d (numbered from @0)", n, len(entries))
		}
		return &entries[i], nil
	}
	want := tag
	if t, err := name.NewTag(tag); err == nil {
		want = t.Name()
	}
	var found []int
	for i := range entries {
		for _, rt := range entries[i].RepoTags {
			if rt == tag {
				found = append(found, i)
				break
			}
			if t, err := name.NewTag(rt); err == nil && t.Name() == want {
				found = append(found, i)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no image tagged %q in the archive (it has %s)", tag, archiveTags(entries))
	case 1:
		return &entries[found[0]], nil
	}
	// Docker moves a tag to the image loaded last; an archive that gives
	// one tag to two images is ambiguous, and taking either is a guess.
	var claims []dockerManifestEntry
	for _, i := range found {
		claims = append(claims, entries[i])
	}
	return nil, fmt.Errorf("tag %q names %d images of the archive (%s); pick one with :@N", tag, len(found), numberedTags(claims, found))
}

// numberedTags lists entries (at positions pos of the archive) as "@N
// tags", bounded as archiveTags is.
func numberedTags(entries []dockerManifestEntry, pos []int) string {
	var parts []string
	for k, e := range entries {
		if k == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(entries)-k))
			break
		}
		parts = append(parts, "@"+strconv.Itoa(pos[k])+" "+strings.Join(limitStrings(e.RepoTags, 4), ", "))
	}
	return strings.Join(parts, "; ")
}

// archiveTags lists the images of an archive by their tags (at most
// maxListed images, four tags each, then how many more), for messages:
// an archive's manifest is hostile and may list thousands.
func archiveTags(entries []dockerManifestEntry) string {
	var tags []string
	for i, e := range entries {
		if i == maxListed {
			tags = append(tags, fmt.Sprintf("and %d more", len(entries)-i))
			break
		}
		if len(e.RepoTags) == 0 {
			tags = append(tags, "@"+strconv.Itoa(i)+" untagged")
			continue
		}
		tags = append(tags, strings.Join(limitStrings(e.RepoTags, 4), ", "))
	}
	return strings.Join(tags, "; ")
}

// maxListed bounds the lists of images and platforms in messages.
const maxListed = 10

// limitStrings returns at most n of ss, then "and N more".
func limitStrings(ss []string, n int) []string {
	if len(ss) <= n {
		return ss
	}
	return append(ss[:n:n], fmt.Sprintf("and %d more", len(ss)-n))
}
