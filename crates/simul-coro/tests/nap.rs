//! The `nap` scenario: a blocking nap starves the notifier, a friendly
//! one (ten parts, a yield between) lets it run in every gap.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/nap_coro.rs"]
mod nap_coro;

use simul_reactor::Clock;

/// The printed lines as (milliseconds of seed time, text).
fn lines(sh: &nap_coro::Shared) -> Vec<(u64, String)> {
    sh.lines.borrow().iter().map(|(t, l)| ((t * 1000.0).round() as u64, l.clone())).collect()
}

fn notifies(lines: &[(u64, String)]) -> Vec<u64> {
    lines.iter().filter(|(_, l)| l == "Notify!").map(|(t, _)| *t).collect()
}

#[test]
fn blocking_nap_prints_no_notify_for_four_seconds() {
    let sh = nap_coro::run(Clock::new_virtual(), false, 1).unwrap();
    assert_eq!(sh.during_nap.get(), 0);
    let lines = lines(&sh);
    // Notify! once before the nap, then only once the nap is over, until
    // exit_after clears the flag at 5 s.
    assert_eq!(notifies(&lines), [0, 4000, 4200, 4400, 4600, 4800]);
    assert_eq!(lines[1], (0, "I'm going to sleep right now for 4 seconds.".to_string()));
    assert_eq!(
        lines[2],
        (
            4000,
            "Hey y'all. That was a good nap! Slept for 4.00 seconds. Dig i miss something?"
                .to_string()
        )
    );
}

#[test]
fn friendly_nap_lets_the_notifier_in_after_every_part() {
    let sh = nap_coro::run(Clock::new_virtual(), true, 1).unwrap();
    assert_eq!(sh.during_nap.get(), 10);
    let lines = lines(&sh);
    // Each 200 ms part ends with a 1 ms pause: the notifier, due by then,
    // runs in it, so its beat drifts by 1 ms per part during the nap.
    let during: Vec<u64> = (1..=10).map(|k| k * 200 + (k - 1)).collect();
    assert_eq!(notifies(&lines)[1..11], during[..]);
    assert!(lines.contains(&(
        2010,
        "Hey y'all. That was a good nap! Slept for 2.01 seconds. Dig i miss something?".to_string()
    )));
}

#[test]
fn on_the_real_clock_scaled_the_blocking_nap_still_starves_and_the_friendly_one_does_not() {
    // Scale 50: the whole 5 s run takes 0.1 s of wall time.
    let blocking = nap_coro::run(Clock::real(), false, 50).unwrap();
    assert_eq!(blocking.during_nap.get(), 0);
    let friendly = nap_coro::run(Clock::real(), true, 50).unwrap();
    // Every part blocks at least one notify period, so the notifier is due
    // in every pause; a loaded machine cannot make it less than due.
    assert!(friendly.during_nap.get() >= 5, "{}", friendly.during_nap.get());
}
