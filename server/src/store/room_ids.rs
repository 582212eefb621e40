//! A hasher for maps keyed by room id.
//!
//! Room ids are random v4 UUIDs that the server itself draws, so their bits
//! are already uniform: folding them is as good a hash as SipHash, without
//! its cost on every store call. Ids that clients make up are only looked
//! up, never inserted, so they cannot crowd one bucket.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use uuid::Uuid;

/// A map from room id, hashed by [`RoomIdHasher`].
pub type RoomMap<V> = HashMap<Uuid, V, BuildHasherDefault<RoomIdHasher>>;

/// Folds the bytes it is given (a UUID's 16, and the length prefix of
/// its slice) into one word.
#[derive(Default)]
pub struct RoomIdHasher(u64);

impl Hasher for RoomIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = self.0.rotate_left(29) ^ n as u64;
    }

    fn finish(&self) -> u64 {
        // hashbrown takes the bucket from the low bits and its tag from the
        // top seven: both must vary.
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn random_ids_spread_over_buckets_and_tags() {
        let build = BuildHasherDefault::<RoomIdHasher>::default();
        let hashes: Vec<u64> = (0..4096).map(|_| build.hash_one(Uuid::new_v4())).collect();
        let buckets: HashSet<u64> = hashes.iter().map(|h| h & 1023).collect();
        let tags: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(buckets.len() > 950, "{} of 1024 buckets", buckets.len());
        assert_eq!(tags.len(), 128);
    }

    #[test]
    fn a_room_map_finds_its_rooms() {
        let ids: Vec<Uuid> = (0..1000).map(|_| Uuid::new_v4()).collect();
        let map: RoomMap<usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(map.get(id), Some(&i));
        }
        assert_eq!(map.get(&Uuid::new_v4()), None);
    }
}
