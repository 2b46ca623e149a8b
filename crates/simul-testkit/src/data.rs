//! Deterministic test payloads.

/// `len` pseudo-random bytes from `seed` (a 64-bit LCG's high bits): the
/// same bytes for the same arguments, so a corrupted transfer shows up as
/// a difference, not as a coincidence.
///
/// ```
/// use simul_testkit::data::pattern;
///
/// let a = pattern(1000, 10);
/// assert_eq!(a.len(), 1000);
/// assert_eq!(a, pattern(1000, 10));
/// assert_ne!(a, pattern(1000, 11));
/// ```
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u8
        })
        .collect()
}
