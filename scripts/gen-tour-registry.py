#!/usr/bin/env python3
"""Writes examples/tour/registry.rs: the tour's table of example files.

Every `<scenario>_<style>.rs` example that exports `pub fn scenario` is
included as a module; a style whose example does not (yet) export one is
listed as missing, and the tour says so in its table. Run it after adding
or converting an example: `python3 scripts/gen-tour-registry.py`
(`--head`: look at the files as committed, not as in the work tree).
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = ["count", "five_waits", "nap", "cake", "chess", "cpu_bound", "blocking_io", "echo"]
STYLES = [("callback", "simul-callback"), ("coro", "simul-coro"), ("future", "simul-future"),
          ("async", "simul-future"), ("green", "simul-green")]
CAMEL = {"count": "Count", "five_waits": "FiveWaits", "nap": "Nap", "cake": "Cake", "chess": "Chess",
         "cpu_bound": "CpuBound", "blocking_io": "BlockingIo", "echo": "Echo"}
SCAMEL = {"callback": "Callback", "coro": "Coro", "future": "Future", "async": "Async", "green": "Green"}

out = ['''//! Every scenario in every style: the example files themselves, included
//! as modules, so the tour (and its test) run the examples' own
//! `scenario` functions, not copies of them.
//!
//! Written by `scripts/gen-tour-registry.py`; do not edit by hand.

use std::error::Error;

use simul_scenario::{Options, Outcome, Scenario, Style};
''']
present = []
for s in SCENARIOS:
    for st, cr in STYLES:
        path = os.path.join(ROOT, "crates", cr, "examples", f"{s}_{st}.rs")
        if "--head" in sys.argv:
            rel = os.path.relpath(path, ROOT)
            text = subprocess.run(["git", "-C", ROOT, "show", f"HEAD:{rel}"], capture_output=True, text=True).stdout
        else:
            text = open(path).read()
        if "pub fn scenario(" in text:
            present.append((s, st))
            out.append(f'#[path = "../../crates/{cr}/examples/{s}_{st}.rs"]\n'
                       f'#[allow(dead_code, unreachable_pub)]\nmod {s}_{st};')
out.append('''
/// What every example exports: its scenario, run as `opts` says.
pub type ScenarioFn = fn(&Options) -> Result<Outcome, Box<dyn Error>>;

/// The example `<scenario>_<style>.rs`'s `scenario` function, or `None`
/// while that example does not export one.
pub fn lookup(scenario: Scenario, style: Style) -> Option<ScenarioFn> {
    match (scenario, style) {''')
for s, st in present:
    out.append(f'        (Scenario::{CAMEL[s]}, Style::{SCAMEL[st]}) => Some({s}_{st}::scenario),')
if len(present) < len(SCENARIOS) * len(STYLES):
    out.append('        _ => None,')
out.append('''    }
}
''')
open(os.path.join(ROOT, "examples", "tour", "registry.rs"), "w").write("\n".join(out))
print(f"{len(present)} of {len(SCENARIOS) * len(STYLES)} examples export scenario()")
