//! [`CellCache`]: freed task allocations kept for the next spawn.

use std::alloc::Layout;
use std::ptr::NonNull;

/// Memory of finished tasks, by layout, reused by the next task of the
/// same layout instead of a round trip through the allocator.
///
/// Spawning and finishing a task otherwise costs a `malloc` and a `free`,
/// which callgrind shows as about half the instructions of a trivial
/// task. Only memory freed on the runtime's own thread comes here; the
/// cache is emptied (returned to the allocator) whenever the loop goes
/// idle and when the runtime is dropped, so a burst of tasks does not
/// keep its memory once the burst is over.
///
/// # Invariant
/// Every pointer in `classes[i].1` is an allocation of `classes[i].0`
/// from the global allocator, holding no live value.
pub(crate) struct CellCache {
    /// Free blocks by layout; few distinct layouts are expected.
    classes: Vec<(Layout, Vec<NonNull<u8>>)>,
}

/// Blocks kept per layout at most; beyond, freed memory goes back to the
/// allocator at once.
const MAX_PER_LAYOUT: usize = 1 << 20;

impl CellCache {
    /// An empty cache.
    pub(crate) fn new() -> CellCache {
        CellCache { classes: Vec::new() }
    }

    /// A free block of `layout`, if one is cached.
    #[inline]
    pub(crate) fn take(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.classes.iter_mut().find(|(l, _)| *l == layout)?.1.pop()
    }

    /// Keeps `block` for reuse; `false` (and the block is still the
    /// caller's) when the cache for its layout is full.
    ///
    /// # Safety
    /// `block` was allocated by the global allocator with `layout` and
    /// holds no live value.
    #[inline]
    pub(crate) unsafe fn put(&mut self, layout: Layout, block: NonNull<u8>) -> bool {
        let class = match self.classes.iter().position(|(l, _)| *l == layout) {
            Some(i) => &mut self.classes[i].1,
            None => {
                self.classes.push((layout, Vec::new()));
                &mut self.classes.last_mut().expect("just pushed").1
            }
        };
        if class.len() >= MAX_PER_LAYOUT {
            return false;
        }
        class.push(block);
        true
    }

    /// Returns every cached block to the allocator.
    pub(crate) fn clear(&mut self) {
        for (layout, blocks) in &mut self.classes {
            for block in blocks.drain(..) {
                // SAFETY: by the invariant, allocated with `layout` and
                // empty; it leaves the cache here, so it is freed once.
                unsafe { std::alloc::dealloc(block.as_ptr(), *layout) };
            }
            if blocks.capacity() > 1024 {
                blocks.shrink_to_fit();
            }
        }
    }
}

impl Drop for CellCache {
    fn drop(&mut self) {
        self.clear();
    }
}
