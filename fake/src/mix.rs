//! The fake's one source of variety: a fixed mixing function, from which the seeded data's
//! figures and test ids, the cursors' signatures and the request ids are derived, so that each is
//! the same every run.

/// A fixed mixing function (SplitMix64's finalizer): the same input always gives the same output,
/// and nearby inputs give unrelated outputs.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64 seeded with 0 adds its increment to its state before each output, which is
    /// `mix` of the state before: its first three outputs, as published with the generator. What
    /// the seeded data, the cursors and the request ids stand on does not move.
    #[test]
    fn mix_gives_splitmix64s_outputs() {
        const INCREMENT: u64 = 0x9E37_79B9_7F4A_7C15;
        let outputs = [mix(0), mix(INCREMENT), mix(INCREMENT.wrapping_mul(2))];
        assert_eq!(outputs, [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]);
    }
}
