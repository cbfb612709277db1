//! Byte-equal gzip for `base64gzip`, as Terraform computes it: a port of
//! Go's `compress/flate` compressor at level 6 (`DefaultCompression`, what
//! `gzip.NewWriter` uses), the only level Terraform uses.
//!
//! Any valid deflate stream decompresses to the same text, but Terraform's
//! result is a string that ends up in plans and state, so every choice the
//! encoder makes has to be Go's: which matches the lazy matcher takes, where
//! blocks split, how Huffman code lengths are limited and tie-broken, and
//! whether a block goes out stored, with the fixed code or with a dynamic
//! one. Hence a line-by-line port of `deflate.go`, `huffman_bit_writer.go`,
//! `huffman_code.go` and `token.go` as Go has shipped them, unchanged in
//! substance, since Go 1.7 (Terraform's Go 1.2x builds included), rather
//! than any other deflate library.
//!
//! Only the call sequence Terraform makes is supported: all input written at
//! once, then `Flush`. The module is pure computation on byte slices; it must
//! not do I/O, and the gzip header and trailer belong to the caller.

// The window and match limits of Go's compressor.
const WINDOW_SIZE: usize = 1 << 15;
const WINDOW_MASK: usize = WINDOW_SIZE - 1;
const BASE_MATCH_LENGTH: usize = 3;
/// Go never emits matches shorter than this, although deflate allows 3.
const MIN_MATCH_LENGTH: usize = 4;
const MAX_MATCH_LENGTH: usize = 258;
const BASE_MATCH_OFFSET: usize = 1;
const MAX_FLATE_BLOCK_TOKENS: usize = 1 << 14;
const MAX_STORE_BLOCK_SIZE: usize = 65535;
const HASH_BITS: u32 = 17;
const HASH_SIZE: usize = 1 << HASH_BITS;
const MAX_HASH_OFFSET: i64 = 1 << 24;
const HASH_MUL: u32 = 0x1e35_a7bd;

// Level 6: `compressionLevel{6, 8, 16, 128, 128, skipNever}`. Skip-never
// means lazy matching, the only branch of Go's `deflate` ported here.
const GOOD: usize = 8;
const LAZY: usize = 16;
const NICE: usize = 128;
const CHAIN: usize = 128;

// Alphabet sizes and special symbols of the bit writer.
const MAX_NUM_LIT: usize = 286;
const OFFSET_CODE_COUNT: usize = 30;
const CODEGEN_CODE_COUNT: usize = 19;
const END_BLOCK_MARKER: usize = 256;
const LENGTH_CODES_START: usize = 257;
const MAX_BITS_LIMIT: usize = 16;

/// Extra bits of each length code, from code 257 on.
const LENGTH_EXTRA_BITS: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// The smallest match length minus 3 that each length code stands for.
const LENGTH_BASE: [u32; 29] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 255,
];

/// Extra bits of each distance code.
const OFFSET_EXTRA_BITS: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// The smallest distance minus 1 that each distance code stands for.
const OFFSET_BASE: [u32; 30] = [
    0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0006, 0x0008, 0x000c, 0x0010, 0x0018, 0x0020, 0x0030,
    0x0040, 0x0060, 0x0080, 0x00c0, 0x0100, 0x0180, 0x0200, 0x0300, 0x0400, 0x0600, 0x0800, 0x0c00,
    0x1000, 0x1800, 0x2000, 0x3000, 0x4000, 0x6000,
];

/// The order RFC 1951 sends the code-length code's lengths in.
const CODEGEN_ORDER: [usize; CODEGEN_CODE_COUNT] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The raw deflate stream Go's compress/flate writes at level 6 for
/// `data` written at once and then flushed (Flush: the blocks, then an
/// empty stored block that byte-aligns the stream), without the final
/// block that Close adds.
pub(super) fn deflate_and_sync_flush(data: &[u8]) -> Vec<u8> {
    let mut compressor = Compressor::new();
    // `Writer.Write`: Go steps the compressor before each fill, so the last
    // chunk of input waits in the window for the flush.
    let mut rest = data;
    while !rest.is_empty() {
        compressor.deflate();
        let taken = compressor.fill_deflate(rest);
        rest = &rest[taken..];
    }
    // `Writer.Flush`: compress everything left, then the sync marker.
    compressor.sync = true;
    compressor.deflate();
    compressor.writer.bits.write_stored_header(0);
    compressor.writer.bits.flush();
    compressor.writer.bits.out
}

/// One LZ77 output symbol, with the length and distance biased as Go
/// stores them in its packed tokens.
#[derive(Clone, Copy)]
enum Token {
    Literal(u8),
    /// `xlength` is the match length minus 3, `xoffset` the distance minus 1.
    Match {
        xlength: u32,
        xoffset: u32,
    },
}

/// The length code (0-based, from symbol 257) for a match length minus 3.
/// Go uses a lookup table; the largest base not above the length is the
/// same thing, including 258 getting its own code rather than 284's top.
fn length_code(xlength: u32) -> usize {
    LENGTH_BASE.partition_point(|&base| base <= xlength) - 1
}

/// The distance code for a distance minus 1.
fn offset_code(xoffset: u32) -> usize {
    OFFSET_BASE.partition_point(|&base| base <= xoffset) - 1
}

/// Go's `hash4`: the first four bytes, big-endian, multiplicatively hashed.
fn hash4(bytes: &[u8]) -> usize {
    let word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    (word.wrapping_mul(HASH_MUL) >> (32 - HASH_BITS)) as usize
}

/// How many leading bytes of `a` and `b` agree, up to `max`.
fn match_len(a: &[u8], b: &[u8], max: usize) -> usize {
    a[..max]
        .iter()
        .zip(&b[..max])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Go's `compressor` in its level 2-9 configuration, lazy matching only.
struct Compressor {
    /// Two windows' worth: the history and the data still to compress.
    window: Vec<u8>,
    window_end: usize,
    /// The next position to look at; `window[index..window_end]` is pending.
    index: usize,
    /// Where the queued tokens' input starts; `None` once that start slid
    /// out of the window (Go's `math.MaxInt32`), so the block can't be
    /// stored.
    block_start: Option<usize>,
    /// Whether `window[index - 1]` still awaits a decision (literal or
    /// start of a match): the lazy matcher's one byte of hindsight.
    byte_available: bool,
    /// Set while flushing: compress to the very end of the input.
    sync: bool,
    tokens: Vec<Token>,
    /// The match found at the previous position, if `length` is at least 4.
    length: usize,
    offset: usize,
    max_insert_index: usize,
    // Hash chains hold positions plus `hash_offset`, so 0 means "none" and
    // entries survive window slides; signed like Go's `int` arithmetic.
    chain_head: i64,
    hash_head: Vec<u32>,
    hash_prev: Vec<u32>,
    hash_offset: i64,
    writer: BlockWriter,
}

impl Compressor {
    fn new() -> Self {
        Compressor {
            window: vec![0; 2 * WINDOW_SIZE],
            window_end: 0,
            index: 0,
            block_start: Some(0),
            byte_available: false,
            sync: false,
            tokens: Vec::with_capacity(MAX_FLATE_BLOCK_TOKENS + 1),
            length: MIN_MATCH_LENGTH - 1,
            offset: 0,
            max_insert_index: 0,
            chain_head: -1,
            hash_head: vec![0; HASH_SIZE],
            hash_prev: vec![0; WINDOW_SIZE],
            hash_offset: 1,
            writer: BlockWriter::new(),
        }
    }

    /// Go's `fillDeflate`: slide the window down by half once the position
    /// nears its end, then copy in as much input as fits.
    fn fill_deflate(&mut self, input: &[u8]) -> usize {
        if self.index >= 2 * WINDOW_SIZE - (MIN_MATCH_LENGTH + MAX_MATCH_LENGTH) {
            self.window.copy_within(WINDOW_SIZE..2 * WINDOW_SIZE, 0);
            self.index -= WINDOW_SIZE;
            self.window_end -= WINDOW_SIZE;
            self.block_start = self
                .block_start
                .and_then(|start| start.checked_sub(WINDOW_SIZE));
            self.hash_offset += WINDOW_SIZE as i64;
            // Rebase the chains before the stored positions outgrow u32.
            if self.hash_offset > MAX_HASH_OFFSET {
                let delta = self.hash_offset - 1;
                self.hash_offset -= delta;
                self.chain_head -= delta;
                for entry in self.hash_prev.iter_mut().chain(self.hash_head.iter_mut()) {
                    let value = i64::from(*entry);
                    *entry = if value > delta {
                        (value - delta) as u32
                    } else {
                        0
                    };
                }
            }
        }
        let taken = input.len().min(self.window.len() - self.window_end);
        self.window[self.window_end..self.window_end + taken].copy_from_slice(&input[..taken]);
        self.window_end += taken;
        taken
    }

    /// Links the four bytes at `index` into their hash chain and returns the
    /// chain's previous head.
    fn insert_hash(&mut self, index: usize) -> u32 {
        let hash = hash4(&self.window[index..index + MIN_MATCH_LENGTH]);
        let previous = self.hash_head[hash];
        self.hash_head[hash] = (index as i64 + self.hash_offset) as u32;
        self.hash_prev[index & WINDOW_MASK] = previous;
        previous
    }

    /// Go's `deflate` with lazy matching: a match found at one position is
    /// only emitted if the next position finds nothing longer.
    fn deflate(&mut self) {
        if self.window_end - self.index < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH && !self.sync {
            return;
        }
        // The last three bytes start no four-byte string to hash.
        self.max_insert_index = self.window_end.saturating_sub(MIN_MATCH_LENGTH - 1);

        loop {
            let lookahead = self.window_end - self.index;
            if lookahead < MIN_MATCH_LENGTH + MAX_MATCH_LENGTH {
                // Without a flush, keep a full match's worth of lookahead
                // for the next write.
                if !self.sync {
                    break;
                }
                if lookahead == 0 {
                    if self.byte_available {
                        self.tokens
                            .push(Token::Literal(self.window[self.index - 1]));
                        self.byte_available = false;
                    }
                    if !self.tokens.is_empty() {
                        self.write_block(self.index);
                    }
                    break;
                }
            }
            if self.index < self.max_insert_index {
                self.chain_head = i64::from(self.insert_hash(self.index));
            }
            let prev_length = self.length;
            let prev_offset = self.offset;
            self.length = MIN_MATCH_LENGTH - 1;
            self.offset = 0;
            let min_index = self.index.saturating_sub(WINDOW_SIZE);

            // Go checks the head even when it was not refreshed above (the
            // last three bytes); the lookahead test keeps that harmless.
            let head = self.chain_head - self.hash_offset;
            if head >= min_index as i64
                && lookahead > prev_length
                && prev_length < LAZY
                && let Some((length, offset)) =
                    self.find_match(self.index, head, MIN_MATCH_LENGTH - 1, lookahead)
            {
                self.length = length;
                self.offset = offset;
            }

            if prev_length >= MIN_MATCH_LENGTH && self.length <= prev_length {
                // The previous position's match stands: emit it, hash the
                // positions it covers that are not hashed yet (all but the
                // first two), and resume right after it.
                self.tokens.push(Token::Match {
                    xlength: (prev_length - BASE_MATCH_LENGTH) as u32,
                    xoffset: (prev_offset - BASE_MATCH_OFFSET) as u32,
                });
                let new_index = self.index + prev_length - 1;
                self.index += 1;
                while self.index < new_index {
                    if self.index < self.max_insert_index {
                        self.insert_hash(self.index);
                    }
                    self.index += 1;
                }
                self.byte_available = false;
                self.length = MIN_MATCH_LENGTH - 1;
                if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                    self.write_block(self.index);
                }
            } else {
                // No match to emit: the byte held back is a literal, and
                // this position becomes the one held back.
                if self.byte_available {
                    let i = self.index - 1;
                    self.tokens.push(Token::Literal(self.window[i]));
                    if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                        self.write_block(i + 1);
                    }
                }
                self.index += 1;
                self.byte_available = true;
            }
        }
    }

    /// Go's `findMatch`: walk up to `CHAIN` earlier positions with the same
    /// hash, keeping the longest match longer than `prev_length`. Returns
    /// the length and distance, if any.
    fn find_match(
        &self,
        pos: usize,
        prev_head: i64,
        prev_length: usize,
        lookahead: usize,
    ) -> Option<(usize, usize)> {
        let min_match_look = lookahead.min(MAX_MATCH_LENGTH);
        let win = &self.window[..pos + min_match_look];
        let nice = (win.len() - pos).min(NICE);
        let mut tries = CHAIN;
        let mut length = prev_length;
        if length >= GOOD {
            tries >>= 2;
        }
        // The byte just past the best match so far: a candidate must agree
        // there to beat it, which rules most out without a full compare.
        let mut w_end = win[pos + length];
        let w_pos = &win[pos..];
        let min_index = pos as i64 - WINDOW_SIZE as i64;
        let mut found = None;

        let mut i = prev_head;
        while tries > 0 {
            let candidate = i as usize;
            if w_end == win[candidate + length] {
                let n = match_len(&win[candidate..], w_pos, min_match_look);
                // A four-byte match only pays off if it is near.
                if n > length && (n > MIN_MATCH_LENGTH || pos - candidate <= 4096) {
                    length = n;
                    found = Some((n, pos - candidate));
                    if n >= nice {
                        break;
                    }
                    w_end = win[pos + n];
                }
            }
            // The slot of the oldest position in the window has been reused.
            if i == min_index {
                break;
            }
            i = i64::from(self.hash_prev[candidate & WINDOW_MASK]) - self.hash_offset;
            if i < min_index || i < 0 {
                break;
            }
            tries -= 1;
        }
        found
    }

    /// Go's `compressor.writeBlock`: hand the queued tokens, and the input
    /// they cover when it is still in the window, to the bit writer.
    fn write_block(&mut self, index: usize) {
        if index > 0 {
            let input = match self.block_start {
                Some(start) if start <= index => Some(&self.window[start..index]),
                _ => None,
            };
            self.writer.write_block(&self.tokens, input);
            self.block_start = Some(index);
        }
        self.tokens.clear();
    }
}

/// The bit packing of Go's `huffmanBitWriter`: least significant bit first,
/// with Go's 48-bit accumulator so that every value is OR-ed in exactly as
/// Go does.
struct BitWriter {
    out: Vec<u8>,
    bits: u64,
    nbits: u32,
}

impl BitWriter {
    fn write_bits(&mut self, value: u32, count: u32) {
        self.bits |= u64::from(value) << self.nbits;
        self.nbits += count;
        if self.nbits >= 48 {
            self.out.extend_from_slice(&self.bits.to_le_bytes()[..6]);
            self.bits >>= 48;
            self.nbits -= 48;
        }
    }

    fn write_code(&mut self, code: HCode) {
        self.write_bits(u32::from(code.code), u32::from(code.len));
    }

    /// Writes out the pending bits, zero-padding the last byte.
    fn flush(&mut self) {
        while self.nbits != 0 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits = self.nbits.saturating_sub(8);
        }
        self.bits = 0;
    }

    /// Raw bytes; only called on a byte boundary (after a stored header).
    fn write_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.nbits % 8, 0, "raw bytes off a byte boundary");
        while self.nbits != 0 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits -= 8;
        }
        self.out.extend_from_slice(bytes);
    }

    /// A non-final stored block's header: type bits, padding, LEN, NLEN.
    fn write_stored_header(&mut self, length: usize) {
        debug_assert!(length <= MAX_STORE_BLOCK_SIZE);
        let length = length as u32;
        self.write_bits(0, 3);
        self.flush();
        self.write_bits(length, 16);
        self.write_bits(!length & 0xffff, 16);
    }
}

/// Go's `huffmanBitWriter` minus its I/O: chooses each block's encoding and
/// writes it.
struct BlockWriter {
    bits: BitWriter,
    literal_freq: [i32; MAX_NUM_LIT],
    offset_freq: [i32; OFFSET_CODE_COUNT],
    codegen_freq: [i32; CODEGEN_CODE_COUNT],
    /// The run-length coded code lengths: (symbol 0-18, repeat field for
    /// 16, 17 and 18).
    codegen: Vec<(u8, u8)>,
    literal_encoding: HuffmanEncoder,
    offset_encoding: HuffmanEncoder,
    codegen_encoding: HuffmanEncoder,
    fixed_literal: HuffmanEncoder,
    fixed_offset: HuffmanEncoder,
}

impl BlockWriter {
    fn new() -> Self {
        BlockWriter {
            bits: BitWriter {
                out: Vec::new(),
                bits: 0,
                nbits: 0,
            },
            literal_freq: [0; MAX_NUM_LIT],
            offset_freq: [0; OFFSET_CODE_COUNT],
            codegen_freq: [0; CODEGEN_CODE_COUNT],
            codegen: Vec::new(),
            literal_encoding: HuffmanEncoder::new(MAX_NUM_LIT),
            offset_encoding: HuffmanEncoder::new(OFFSET_CODE_COUNT),
            codegen_encoding: HuffmanEncoder::new(CODEGEN_CODE_COUNT),
            fixed_literal: HuffmanEncoder::fixed_literal(),
            fixed_offset: HuffmanEncoder::fixed_offset(),
        }
    }

    /// Go's `writeBlock` (never the final block here): the tokens plus an
    /// end-of-block, in whichever of fixed, dynamic or stored Go computes
    /// to be smallest, ties going to fixed, then to Huffman over stored.
    fn write_block(&mut self, tokens: &[Token], input: Option<&[u8]>) {
        let (num_literals, num_offsets) = self.index_tokens(tokens);

        // Storing is only weighed when the block's bytes are known and fit.
        let storable = input.filter(|bytes| bytes.len() <= MAX_STORE_BLOCK_SIZE);
        // The length and distance extra bits cost the same in both Huffman
        // encodings, so Go only counts them when comparing with stored.
        let extra_bits = if storable.is_some() {
            let lengths = self.literal_freq[LENGTH_CODES_START..num_literals]
                .iter()
                .zip(LENGTH_EXTRA_BITS);
            let offsets = self.offset_freq[..num_offsets]
                .iter()
                .zip(OFFSET_EXTRA_BITS);
            lengths
                .chain(offsets)
                .map(|(&count, bits)| count as usize * bits as usize)
                .sum::<usize>()
        } else {
            0
        };

        let mut size = self.fixed_size(extra_bits);
        self.generate_codegen(num_literals, num_offsets);
        self.codegen_encoding.generate(&self.codegen_freq, 7);
        let (dynamic_size, num_codegens) = self.dynamic_size(extra_bits);
        let dynamic = dynamic_size < size;
        if dynamic {
            size = dynamic_size;
        }

        if let Some(bytes) = storable.filter(|bytes| (bytes.len() + 5) * 8 < size) {
            self.bits.write_stored_header(bytes.len());
            self.bits.write_bytes(bytes);
            return;
        }

        let (literal_codes, offset_codes) = if dynamic {
            self.write_dynamic_header(num_literals, num_offsets, num_codegens);
            (&self.literal_encoding.codes, &self.offset_encoding.codes)
        } else {
            // Not final, block type 01.
            self.bits.write_bits(2, 3);
            (&self.fixed_literal.codes, &self.fixed_offset.codes)
        };
        write_tokens(&mut self.bits, tokens, literal_codes, offset_codes);
    }

    /// Go's `indexTokens`: count the symbols (end-of-block included), trim
    /// the unused tail of each alphabet, and build the dynamic codes.
    fn index_tokens(&mut self, tokens: &[Token]) -> (usize, usize) {
        self.literal_freq = [0; MAX_NUM_LIT];
        self.offset_freq = [0; OFFSET_CODE_COUNT];
        for token in tokens {
            match *token {
                Token::Literal(byte) => self.literal_freq[usize::from(byte)] += 1,
                Token::Match { xlength, xoffset } => {
                    self.literal_freq[LENGTH_CODES_START + length_code(xlength)] += 1;
                    self.offset_freq[offset_code(xoffset)] += 1;
                }
            }
        }
        self.literal_freq[END_BLOCK_MARKER] += 1;

        let mut num_literals = MAX_NUM_LIT;
        while self.literal_freq[num_literals - 1] == 0 {
            num_literals -= 1;
        }
        let mut num_offsets = OFFSET_CODE_COUNT;
        while num_offsets > 0 && self.offset_freq[num_offsets - 1] == 0 {
            num_offsets -= 1;
        }
        // A dynamic header needs at least one distance code; Go counts a
        // phantom one, which also enters the size estimates.
        if num_offsets == 0 {
            self.offset_freq[0] = 1;
            num_offsets = 1;
        }
        self.literal_encoding.generate(&self.literal_freq, 15);
        self.offset_encoding.generate(&self.offset_freq, 15);
        (num_literals, num_offsets)
    }

    /// Go's `generateCodegen`: run-length code the literal and distance code
    /// lengths with symbols 16 (repeat previous 3-6 times), 17 (3-10 zeros)
    /// and 18 (11-138 zeros), counting each symbol's uses.
    fn generate_codegen(&mut self, num_literals: usize, num_offsets: usize) {
        let lengths: Vec<u8> = self.literal_encoding.codes[..num_literals]
            .iter()
            .chain(&self.offset_encoding.codes[..num_offsets])
            .map(|code| code.len as u8)
            .collect();
        self.codegen_freq = [0; CODEGEN_CODE_COUNT];
        self.codegen.clear();

        let mut size = lengths[0];
        let mut count: usize = 1;
        // A sentinel past the end closes the last run.
        for next_size in lengths[1..].iter().copied().map(Some).chain([None]) {
            if next_size == Some(size) {
                count += 1;
                continue;
            }
            if size != 0 {
                self.push_codegen(size, 0);
                count -= 1;
                while count >= 3 {
                    let n = count.min(6);
                    self.push_codegen(16, (n - 3) as u8);
                    count -= n;
                }
            } else {
                while count >= 11 {
                    let n = count.min(138);
                    self.push_codegen(18, (n - 11) as u8);
                    count -= n;
                }
                if count >= 3 {
                    self.push_codegen(17, (count - 3) as u8);
                    count = 0;
                }
            }
            for _ in 0..count {
                self.push_codegen(size, 0);
            }
            if let Some(next_size) = next_size {
                size = next_size;
                count = 1;
            }
        }
    }

    fn push_codegen(&mut self, symbol: u8, repeat: u8) {
        self.codegen.push((symbol, repeat));
        self.codegen_freq[usize::from(symbol)] += 1;
    }

    /// Go's `dynamicSize`, in bits, and how many code-length code lengths
    /// the header sends (trailing zeros in RFC order dropped, at least 4).
    fn dynamic_size(&self, extra_bits: usize) -> (usize, usize) {
        let mut num_codegens = CODEGEN_CODE_COUNT;
        while num_codegens > 4 && self.codegen_freq[CODEGEN_ORDER[num_codegens - 1]] == 0 {
            num_codegens -= 1;
        }
        let header = 3
            + 5
            + 5
            + 4
            + 3 * num_codegens
            + self.codegen_encoding.bit_length(&self.codegen_freq)
            + self.codegen_freq[16] as usize * 2
            + self.codegen_freq[17] as usize * 3
            + self.codegen_freq[18] as usize * 7;
        let size = header
            + self.literal_encoding.bit_length(&self.literal_freq)
            + self.offset_encoding.bit_length(&self.offset_freq)
            + extra_bits;
        (size, num_codegens)
    }

    /// Go's `fixedSize`, in bits.
    fn fixed_size(&self, extra_bits: usize) -> usize {
        3 + self.fixed_literal.bit_length(&self.literal_freq)
            + self.fixed_offset.bit_length(&self.offset_freq)
            + extra_bits
    }

    /// Go's `writeDynamicHeader` for a non-final block.
    fn write_dynamic_header(
        &mut self,
        num_literals: usize,
        num_offsets: usize,
        num_codegens: usize,
    ) {
        // Not final, block type 10.
        self.bits.write_bits(4, 3);
        self.bits.write_bits((num_literals - 257) as u32, 5);
        self.bits.write_bits((num_offsets - 1) as u32, 5);
        self.bits.write_bits((num_codegens - 4) as u32, 4);
        for &symbol in &CODEGEN_ORDER[..num_codegens] {
            let length = self.codegen_encoding.codes[symbol].len;
            self.bits.write_bits(u32::from(length), 3);
        }
        for &(symbol, repeat) in &self.codegen {
            self.bits
                .write_code(self.codegen_encoding.codes[usize::from(symbol)]);
            let repeat_bits = match symbol {
                16 => 2,
                17 => 3,
                18 => 7,
                _ => continue,
            };
            self.bits.write_bits(u32::from(repeat), repeat_bits);
        }
    }
}

/// Go's `writeTokens`, followed by the end-of-block code Go appends to the
/// token list.
fn write_tokens(bits: &mut BitWriter, tokens: &[Token], literal: &[HCode], offset: &[HCode]) {
    for token in tokens {
        match *token {
            Token::Literal(byte) => bits.write_code(literal[usize::from(byte)]),
            Token::Match { xlength, xoffset } => {
                let length = length_code(xlength);
                bits.write_code(literal[LENGTH_CODES_START + length]);
                if LENGTH_EXTRA_BITS[length] > 0 {
                    bits.write_bits(xlength - LENGTH_BASE[length], LENGTH_EXTRA_BITS[length]);
                }
                let distance = offset_code(xoffset);
                bits.write_code(offset[distance]);
                if OFFSET_EXTRA_BITS[distance] > 0 {
                    bits.write_bits(xoffset - OFFSET_BASE[distance], OFFSET_EXTRA_BITS[distance]);
                }
            }
        }
    }
    bits.write_code(literal[END_BLOCK_MARKER]);
}

/// A Huffman code, bit-reversed so it can be written least significant bit
/// first, and its length.
#[derive(Clone, Copy, Default)]
struct HCode {
    code: u16,
    len: u16,
}

/// Go's `huffmanEncoder`: the code of each symbol of one alphabet.
struct HuffmanEncoder {
    codes: Vec<HCode>,
}

#[derive(Clone, Copy)]
struct LiteralNode {
    literal: u16,
    freq: i32,
}

/// One row of Go's length-limited (package-merge style) code construction.
#[derive(Clone, Copy, Default)]
struct LevelInfo {
    /// The frequency of the last node placed on this level.
    last_freq: i32,
    /// The frequency of the next leaf this level could take.
    next_char_freq: i32,
    /// The frequency of the next pair from the level below.
    next_pair_freq: i32,
    /// How many more nodes this level must produce before moving up.
    needed: i32,
}

impl HuffmanEncoder {
    fn new(size: usize) -> Self {
        HuffmanEncoder {
            codes: vec![HCode::default(); size],
        }
    }

    /// RFC 1951's fixed literal/length code, over Go's 286 symbols.
    fn fixed_literal() -> Self {
        let codes = (0..MAX_NUM_LIT as u16)
            .map(|symbol| {
                let (code, len) = match symbol {
                    0..=143 => (symbol + 48, 8),
                    144..=255 => (symbol + 400 - 144, 9),
                    256..=279 => (symbol - 256, 7),
                    _ => (symbol + 192 - 280, 8),
                };
                HCode {
                    code: reverse_bits(code, len),
                    len,
                }
            })
            .collect();
        HuffmanEncoder { codes }
    }

    /// RFC 1951's fixed distance code: five bits each.
    fn fixed_offset() -> Self {
        let codes = (0..OFFSET_CODE_COUNT as u16)
            .map(|symbol| HCode {
                code: reverse_bits(symbol, 5),
                len: 5,
            })
            .collect();
        HuffmanEncoder { codes }
    }

    /// The encoded size in bits of symbols with these frequencies.
    fn bit_length(&self, freq: &[i32]) -> usize {
        freq.iter()
            .zip(&self.codes)
            .filter(|(count, _)| **count != 0)
            .map(|(&count, code)| count as usize * usize::from(code.len))
            .sum()
    }

    /// Go's `generate`: the canonical code for `freq` with no code longer
    /// than `max_bits`. Unused symbols get length 0.
    fn generate(&mut self, freq: &[i32], max_bits: usize) {
        let mut list = Vec::with_capacity(freq.len());
        for (symbol, &count) in freq.iter().enumerate() {
            if count != 0 {
                list.push(LiteralNode {
                    literal: symbol as u16,
                    freq: count,
                });
            } else {
                self.codes[symbol].len = 0;
            }
        }
        // One or two symbols: one bit each, in symbol order.
        if list.len() <= 2 {
            for (code, node) in list.iter().enumerate() {
                self.codes[usize::from(node.literal)] = HCode {
                    code: code as u16,
                    len: 1,
                };
            }
            return;
        }
        // Go sorts by frequency, then symbol; the keys are distinct, so any
        // sort gives Go's order.
        list.sort_unstable_by_key(|node| (node.freq, node.literal));
        let bit_count = bit_counts(&list, max_bits);
        self.assign_encoding_and_size(&bit_count, &mut list);
    }

    /// Go's `assignEncodingAndSize`: the most frequent symbols get the
    /// shortest codes; within one length, codes go up in symbol order.
    fn assign_encoding_and_size(&mut self, bit_count: &[i32], list: &mut [LiteralNode]) {
        let mut code: u16 = 0;
        let mut remaining = list.len();
        for (len, &count) in bit_count.iter().enumerate() {
            code <<= 1;
            if len == 0 || count == 0 {
                continue;
            }
            let count = count as usize;
            let chunk = &mut list[remaining - count..remaining];
            chunk.sort_unstable_by_key(|node| node.literal);
            for node in chunk.iter() {
                self.codes[usize::from(node.literal)] = HCode {
                    code: reverse_bits(code, len as u16),
                    len: len as u16,
                };
                code += 1;
            }
            remaining -= count;
        }
    }
}

/// Go's `bitCounts`: how many symbols get each code length, for at least
/// three symbols sorted by increasing frequency, limited to `max_bits`.
/// Index 0 of the result is unused.
fn bit_counts(list: &[LiteralNode], max_bits: usize) -> Vec<i32> {
    let n = list.len();
    // Go puts a node of maximal frequency after the last leaf.
    let freq_at = |k: usize| list.get(k).map_or(i32::MAX, |node| node.freq);
    // No code needs to be longer than n - 1 bits.
    let max_bits = max_bits.min(n - 1);

    // Level 0 is a dummy whose `needed` stays 0, so level 1 never takes a
    // pair. `leaf_counts[level][j]` counts the leaves left of the level-j
    // ancestor of the rightmost node on `level`.
    let mut levels = [LevelInfo::default(); MAX_BITS_LIMIT];
    let mut leaf_counts = [[0i32; MAX_BITS_LIMIT]; MAX_BITS_LIMIT];
    for level in 1..=max_bits {
        // Every level starts as if it had already taken the two rarest leaves.
        levels[level] = LevelInfo {
            last_freq: list[1].freq,
            next_char_freq: list[2].freq,
            next_pair_freq: if level == 1 {
                i32::MAX
            } else {
                list[0].freq.wrapping_add(list[1].freq)
            },
            needed: 0,
        };
        leaf_counts[level][level] = 2;
    }
    // The top level needs 2n - 2 nodes and has two.
    levels[max_bits].needed = 2 * n as i32 - 4;

    let mut level = max_bits;
    loop {
        if levels[level].next_pair_freq == i32::MAX && levels[level].next_char_freq == i32::MAX {
            // Out of leaves and pairs: this level is done for good.
            levels[level].needed = 0;
            levels[level + 1].next_pair_freq = i32::MAX;
            level += 1;
            continue;
        }

        let prev_freq = levels[level].last_freq;
        if levels[level].next_char_freq < levels[level].next_pair_freq {
            // Take the next leaf.
            let taken = leaf_counts[level][level] + 1;
            levels[level].last_freq = levels[level].next_char_freq;
            leaf_counts[level][level] = taken;
            levels[level].next_char_freq = freq_at(taken as usize);
        } else {
            // Take a pair from below, inheriting its leaf counts.
            levels[level].last_freq = levels[level].next_pair_freq;
            let below = leaf_counts[level - 1];
            leaf_counts[level][..level].copy_from_slice(&below[..level]);
            levels[level - 1].needed = 2;
        }

        levels[level].needed -= 1;
        if levels[level].needed == 0 {
            if level == max_bits {
                break;
            }
            levels[level + 1].next_pair_freq = prev_freq.wrapping_add(levels[level].last_freq);
            level += 1;
        } else {
            // Go back down to refill the levels a pair was taken from.
            while levels[level - 1].needed > 0 {
                level -= 1;
            }
        }
    }
    debug_assert_eq!(leaf_counts[max_bits][max_bits], n as i32);

    let counts = leaf_counts[max_bits];
    let mut bit_count = vec![0; max_bits + 1];
    for (bits, level) in (1..=max_bits).rev().enumerate() {
        bit_count[bits + 1] = counts[level] - counts[level - 1];
    }
    bit_count
}

/// The low `len` bits of `code`, reversed (Huffman codes are sent most
/// significant bit first, inside a least-significant-first bit stream).
fn reverse_bits(code: u16, len: u16) -> u16 {
    (code << (16 - len)).reverse_bits()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use base64::Engine;

    use super::deflate_and_sync_flush;

    /// The whole gzip member as Terraform's `base64gzip` writes it.
    fn go_gzip(data: &[u8]) -> Vec<u8> {
        let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        if data.is_empty() {
            gzip.extend([0, 0, 0, 0xff, 0xff]);
        } else {
            gzip.extend(deflate_and_sync_flush(data));
        }
        gzip.extend([1, 0, 0, 0xff, 0xff]);
        let mut crc = flate2::Crc::new();
        crc.update(data);
        gzip.extend(crc.sum().to_le_bytes());
        gzip.extend((data.len() as u32).to_le_bytes());
        gzip
    }

    fn base64gzip(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(go_gzip(data))
    }

    #[test]
    fn matches_terraform_on_short_strings() {
        // Fixed-code blocks: literals only, then one long match.
        assert_eq!(
            base64gzip(b"hello world"),
            "H4sIAAAAAAAA/8pIzcnJVyjPL8pJAQAAAP//AQAA//+FEUoNCwAAAA=="
        );
        assert_eq!(
            base64gzip(b"test"),
            "H4sIAAAAAAAA/ypJLS4BAAAA//8BAAD//wx+f9gEAAAA"
        );
        assert_eq!(
            base64gzip(&[b'a'; 67]),
            "H4sIAAAAAAAA/0qkHAAAAAD//wEAAP//iHf2TkMAAAA="
        );
    }

    #[test]
    fn empty_input_is_just_the_sync_marker() {
        assert_eq!(deflate_and_sync_flush(b""), [0, 0, 0, 0xff, 0xff]);
    }

    #[test]
    fn large_inputs_decompress_to_themselves() {
        // Several windows of mixed text and noise: window slides, blocks cut
        // at the token limit, and stored, fixed and dynamic blocks.
        let words: [&[u8]; 6] = [
            b"resource ",
            b"\"aws_instance\" ",
            b"\"web\" {\n",
            b"  ami = \"ami-0123456789\"\n",
            b"  tags = { Name = \"web\" }\n",
            b"}\n",
        ];
        let mut state: u32 = 0x2545_f491;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut data = Vec::new();
        while data.len() < 300_000 {
            let roll = next();
            if roll % 5 == 0 {
                for _ in 0..(roll >> 8) % 3000 {
                    data.push(next() as u8);
                }
            } else {
                data.extend_from_slice(words[(roll >> 8) as usize % words.len()]);
            }
        }
        let zeros = vec![0u8; 200_000];
        for input in [&data[..], &zeros[..], &data[..70_000]] {
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(&go_gzip(input)[..])
                .read_to_end(&mut decoded)
                .expect("valid gzip");
            assert!(decoded == input, "round trip of {} bytes", input.len());
        }
    }
}
