package tui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/kballard/go-shellquote"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/whittle-dev/whittle/builder/pipeline"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

// buildPane is the build: the plan's outputs, layering and verify
// commands; b runs pipeline.Run in the background and the pane streams its
// progress (per-layer bars, bytes/s), then shows before/after, the
// biggest removals and the verify results.
type buildPane struct {
	id      int // the build in flight; messages of others are stale
	running bool
	cancel  context.CancelFunc
	ch      <-chan tea.Msg
	started time.Time
	elapsed time.Duration
	stage   string
	layers  []layerProgress
	nodes   []packNode // the closure's groups, lit as layers pack them
	report  *pipeline.Report
	err     error
}

// layerProgress is one output layer as it is built and written.
type layerProgress struct {
	groups         []string
	bytes, total   int64
	cached, done   bool
	written, wrTot int64
}

type (
	buildStartedMsg struct {
		id     int
		ch     <-chan tea.Msg
		cancel context.CancelFunc
	}
	buildEventMsg struct {
		id int
		ev pipeline.Event
	}
	buildDoneMsg struct {
		id     int
		report *pipeline.Report
		err    error
	}
)

// stop cancels a build in flight.
func (p *buildPane) stop() {
	if p.cancel != nil {
		p.cancel()
	}
}

// startBuild runs a copy of the plan.
func (m *Model) startBuild() tea.Cmd {
	b := &m.buildp
	b.stop()
	b.id++
	*b = buildPane{id: b.id, running: true, started: time.Now(), stage: "starting", nodes: packNodes(m.cl)}
	p := m.plan.Clone()
	ctx, id, opts := m.ctx, b.id, pipeline.Options{Open: m.opts.Open, Cache: m.opts.Cache}
	var s *session.Session
	if m.data != nil && m.data.im != nil {
		s = m.data.sess // the image the app shows, opened once
	}
	return tea.Batch(m.spinner.Tick, func() tea.Msg {
		ctx, cancel := context.WithCancel(ctx)
		ch := make(chan tea.Msg, 64)
		opts.Progress = func(e pipeline.Event) {
			select {
			case ch <- buildEventMsg{id, e}:
			case <-ctx.Done():
			}
		}
		go func() {
			defer close(ch)
			var r *pipeline.Report
			var err error
			if s != nil {
				r, err = pipeline.RunSession(ctx, s, p, opts)
			} else {
				r, err = pipeline.Run(ctx, p, opts)
			}
			select {
			case ch <- buildDoneMsg{id, r, err}:
			case <-ctx.Done():
			}
		}()
		return buildStartedMsg{id, ch, cancel}
	})
}

// buildMsg handles a message of a build.
func (m *Model) buildMsg(msg tea.Msg) tea.Cmd {
	b := &m.buildp
	switch msg := msg.(type) {
	case buildStartedMsg:
		if msg.id != b.id {
			msg.cancel()
			return nil
		}
		b.ch, b.cancel = msg.ch, msg.cancel
		return waitLoad(b.ch)
	case buildEventMsg:
		if msg.id != b.id {
			return nil
		}
		b.event(msg.ev)
		return waitLoad(b.ch)
	case buildDoneMsg:
		if msg.id != b.id {
			return nil
		}
		b.running, b.elapsed = false, time.Since(b.started)
		b.stop()
		b.report, b.err = msg.report, msg.err
		switch {
		case msg.err != nil && errors.Is(msg.err, pipeline.ErrVerify):
			m.setNote("built, but a verify command failed", true)
		case msg.err != nil:
			m.setNote("build: "+msg.err.Error(), true)
		default:
			m.setNote("built "+strings.Join(msg.report.Outputs, ", ")+" in "+b.elapsed.Round(time.Millisecond).String(), false)
		}
	}
	return nil
}

// event records a step of the build.
func (b *buildPane) event(e pipeline.Event) {
	b.stage = e.Stage
	grow := func(n int) {
		for len(b.layers) < n {
			b.layers = append(b.layers, layerProgress{})
		}
	}
	if be := e.Build; be != nil && be.Layer > 0 {
		grow(max(be.Layers, be.Layer))
		l := &b.layers[be.Layer-1]
		if be.Groups != nil {
			l.groups = be.Groups
		}
		if be.Stage == "layer" {
			b.pack(be.Groups, be.Cached)
		}
		l.bytes, l.total, l.cached = be.Bytes, be.Total, be.Cached
		l.done = be.Stage == "done" || be.Total > 0 && be.Bytes >= be.Total
	}
	if w := e.Write; w != nil {
		grow(max(w.Layers, w.Index+1))
		l := &b.layers[w.Index]
		l.written, l.wrTot = w.Written, w.Total
	}
}

// bytesDone sums the bytes built and written so far.
func (b *buildPane) bytesDone() int64 {
	var n int64
	for _, l := range b.layers {
		n += l.bytes + l.written
	}
	return n
}

// buildKey handles a key of the build pane.
func (m *Model) buildKey(msg tea.KeyMsg) tea.Cmd {
	k := m.KeyMap
	switch {
	case m.buildp.running:
		return nil
	case key.Matches(msg, k.Build):
		if len(m.plan.Outputs) == 0 {
			m.setNote("the plan has no output: o sets one", true)
			return nil
		}
		m.setNote("building…", false)
		return m.startBuild()
	case key.Matches(msg, k.Output):
		return m.startInput(inputOutput, "outputs (space-separated): ", strings.Join(m.plan.Outputs, " "))
	case key.Matches(msg, k.Verify):
		v := ""
		if len(m.plan.Verify) > 0 {
			v = shellquote.Join(m.plan.Verify[0]...)
		}
		return m.startInput(inputVerify, "verify command: ", v)
	case key.Matches(msg, k.Layering):
		m.toggleLayering()
		m.changed()
	}
	return nil
}

// buildView draws the build pane w×h.
func (m Model) buildView(w, h int) string {
	s, b := m.Styles, m.buildp
	leftW := max(min(w*2/5, 56), 34)
	rightW := w - leftW
	lw := leftW - 2
	label := func(l string) string { return s.Label.Render(padRight(l, 9)) }
	outs := "(none: o sets one)"
	if len(m.plan.Outputs) > 0 {
		outs = strings.Join(m.plan.Outputs, " ")
	}
	layering := string(m.plan.Layers.Kind())
	if m.plan.Layers.Kind() == plan.Popularity {
		layering += ", up to " + strconv.Itoa(m.plan.Layers.Limit())
	}
	verify := "(none: v sets one)"
	if len(m.plan.Verify) > 0 {
		var vs []string
		for _, v := range m.plan.Verify {
			vs = append(vs, shellquote.Join(v...))
		}
		verify = strings.Join(vs, "; ")
	}
	roots := "the config's entrypoint and cmd"
	if len(m.plan.Roots) > 0 {
		roots = strconv.Itoa(len(m.plan.Roots)) + " chosen"
	}
	left := []string{
		label("Source") + clip(text.Escape(m.plan.Source), lw-9),
		label("Outputs") + clip(text.Escape(outs), lw-9),
		label("Layering") + layering,
		label("Verify") + clip(text.Escape(verify), lw-9),
		label("Roots") + roots,
		label("Drop") + strconv.Itoa(len(m.plan.Drop)) + " globs · keep " + strconv.Itoa(len(m.plan.Keep)),
		"",
	}
	if m.data != nil && m.estKnown {
		left = append(left, label("Estimate")+bytesText(m.estimate)+" of "+bytesText(m.data.merged.bytes)+" ("+signedBytes(m.estimate-m.data.merged.bytes)+")")
	}
	left = append(left, "", s.Dim.Render("b build · o outputs · L layering"), s.Dim.Render("v verify · ctrl+s save the plan"))
	for _, d := range m.plan.Drop {
		if len(left) >= h-2 {
			break
		}
		left = append(left, s.Removed.Render("✗ ")+clip(text.Escape(d), lw-2))
	}

	var right []string
	rw := rightW - 2
	switch {
	case b.running:
		el := time.Since(b.started).Seconds()
		rate := ""
		if el > 0 {
			rate = bytesText(int64(float64(b.bytesDone())/el)) + "/s"
		}
		right = append(right, m.spinner.View()+" "+b.stage+" · "+rate)
	case b.report == nil && b.err == nil:
		right = append(right, s.Dim.Render("Not built yet: b builds the plan."))
	case b.err != nil && b.report == nil:
		right = append(right, wrap(s.Error.Render("Error: ")+text.Escape(oneLine(b.err.Error())), rw)...)
	}
	for i, l := range b.layers {
		frac := 0.0
		switch {
		case l.wrTot > 0:
			frac = float64(l.written) / float64(l.wrTot)
		case l.total > 0:
			frac = float64(l.bytes) / float64(l.total)
		case l.done:
			frac = 1
		}
		name := strings.Join(l.groups, ",")
		if l.cached {
			name = "(cached) " + name
		}
		barW := min(20, rw/3)
		right = append(right, padLeft(strconv.Itoa(i+1), 3)+" "+progressBar(frac, barW)+" "+clip(text.Escape(name), rw-barW-7))
		if len(right) > h/2 {
			right = append(right, s.Dim.Render("  … "+strconv.Itoa(len(b.layers)-i-1)+" more layers"))
			break
		}
	}
	var report []string
	if r := b.report; r != nil {
		report = append(report, "",
			s.Header.Render("Before ")+bytesText(r.Before.FileBytes)+" files, "+bytesText(r.Before.StoredBytes)+" stored",
			s.Header.Render("After  ")+bytesText(r.After.FileBytes)+" files, "+bytesText(r.After.StoredBytes)+" stored ("+
				signedBytes(r.After.StoredBytes-r.Before.StoredBytes)+")",
			s.Dim.Render(clip("digest "+r.Digest, rw)))
		if len(r.Biggest) > 0 {
			report = append(report, "", s.Header.Render("Biggest removals"))
			for _, rm := range r.Biggest[:min(len(r.Biggest), 5)] {
				report = append(report, padLeft(bytesText(rm.Bytes), 7)+"  "+shortPath(rm.Path, rw-9))
			}
		}
		if len(r.Verify) > 0 {
			report = append(report, "", s.Header.Render("Verify"))
			for _, v := range r.Verify {
				mark := s.Added.Render("pass")
				if !v.Passed {
					mark = s.Error.Render("FAIL")
				}
				report = append(report, mark+" "+clip(text.Escape(shellquote.Join(v.Argv...)), rw-5))
				for _, l := range strings.Split(strings.TrimSpace(v.Output+" "+v.Error), "\n") {
					if l != "" {
						report = append(report, s.Dim.Render("  "+clip(text.Escape(l), rw-2)))
					}
				}
			}
		}
	}
	// The closure's nodes light up as layers pack them; after the build
	// the grid takes what room the report leaves.
	if grid := m.packGrid(rw, h-2-len(right)-len(report)-1); len(grid) > 0 {
		right = append(append(right, ""), grid...)
	}
	right = append(right, report...)
	return lipgloss.JoinHorizontal(lipgloss.Top,
		s.box("Plan", left, leftW, h, true),
		s.box("Build", right, rightW, h, false))
}
