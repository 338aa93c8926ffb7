// Package doctor judges an indexed image and its run-time closure and
// returns what a person should act on, as finding.Finding values with a
// stable kind and the plan change that acts on each:
//
//   - bloat (family "bloat"): payload nobody runs, matched by a data-driven
//     table of path globs (Categories: docs, man pages, translations,
//     headers, caches, package managers, compilers, …); symlink cycles and
//     directory trees stored more than once; files identical to another;
//     /etc files nothing needs; files outside the closure, by package or
//     store path; bytes hidden by later layers. Each visible file counts in
//     at most one bloat finding, so Reclaimable is the "apply all" total.
//   - breakage (families "tls", "locale", "tz", "nss", "user", "fs",
//     "config", and the closure's own "closure" problems): what will fail
//     when the image runs (no CA bundle where the TLS library looks, a
//     LANG or TZ the image lacks, a missing /etc/services, an unknown User,
//     no /tmp, …).
//
// Bloat and Breakage are the two entry points; Options.Ignore drops kinds
// or whole families. The package reads the image only through the index
// and analyze's image file system; it never prints.
//
// Cold, the findings need not read a layer again: a Learner (NewLearner)
// given to analyze.IndexImage beside the closure's, as
//
//	dl, cl := doctor.NewLearner(cache, im), closure.NewLearner(cache)
//	ix, _ := analyze.IndexImage(ctx, im, analyze.IndexOptions{Cache: cache, Learner: analyze.Learners(dl, cl)})
//	c, _ := closure.Build(ctx, im, ix, closure.Options{Cache: cache, Learned: cl})
//	fs, _ := doctor.All(ctx, im, ix, c, doctor.Options{Cache: cache, Learned: dl})
//
// learns in the index's one pass the facts of the ELF objects and the
// small files the checks read; the findings are the same with it or
// without.
package doctor
