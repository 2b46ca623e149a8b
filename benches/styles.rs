//! The styles side by side: the same workloads in every style, tokio's
//! current-thread runtime and, where one exists, the floor, all measured
//! in one run so the ratios can be read off directly.
//!
//! The workloads live in `benches/workloads/` (one file each, one
//! function per style) and are shared with `examples/bench_report`, which
//! runs a smaller version of all of this and prints the table:
//!
//! ```text
//! cargo bench --bench styles                   # everything (several minutes)
//! cargo bench --bench styles -- 'dispatch/'    # one workload
//! cargo run --release --example bench_report   # the table, in under a minute
//! ```
//!
//! Each benchmark id is `<workload>/<style>`; the throughput is in
//! operations (units, suspensions, handoffs, timers, move pairs, round
//! trips), so criterion's `elem/s` is the figure to compare. Only the
//! workload is timed: runtimes, servers and connections are set up first.
#![allow(missing_docs)]

mod workloads;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use workloads::{Size, Style, Workload};

fn styles(c: &mut Criterion) {
    for workload in Workload::ALL {
        let mut g = c.benchmark_group(workload.name());
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(3));
        let n = Size::Full.of(workload);
        for style in Style::ALL {
            if workloads::applies(style, workload).is_err() {
                continue;
            }
            // Green threads run the concurrent workloads at a smaller size
            // (see `GREEN_MAX_CONCURRENT`): ask for one run to learn the
            // real operation count.
            let probe = match workloads::run(style, workload, n) {
                Ok(run) => run,
                Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                    eprintln!("skipping {workload}/{style}: {e}");
                    continue;
                }
                Err(e) => panic!("{workload}/{style}: {e}"),
            };
            g.throughput(Throughput::Elements(probe.ops));
            g.bench_function(BenchmarkId::new(style.name(), probe.ops), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| match workloads::run(style, workload, n) {
                            Ok(run) => run.elapsed,
                            Err(e) => panic!("{workload}/{style}: {e}"),
                        })
                        .sum()
                });
            });
        }
        g.finish();
    }
}

criterion_group!(benches, styles);
criterion_main!(benches);
