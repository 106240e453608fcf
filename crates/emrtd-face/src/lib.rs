//! Face images of eMRTDs (DG2) converted for display: JPEG 2000, as a JP2 file or a raw J2K
//! codestream, is decoded in pure Rust (`hayro-jpeg2000`) and re-encoded as JPEG (`image`);
//! JPEG passes through untouched. Dimensions and input size are bounded before decoding.
//!
//! The input is the image of a face record of DG2 (Doc 9303-10 §4.7.2; ISO/IEC 19794-5 or
//! 39794-5, as extracted by `emrtd_lds::biometric`), whose image data type is JPEG or JPEG 2000.
//!
//! # Example
//!
//! ```
//! use emrtd_face::{FaceError, FaceLimits, encode_jpeg, to_jpeg};
//! use image::{DynamicImage, GrayImage, Luma};
//!
//! // A 16×16 grey JPEG standing in for the image of a DG2 face record.
//! let img = DynamicImage::ImageLuma8(GrayImage::from_pixel(16, 16, Luma([128])));
//! let mut jpeg = Vec::new();
//! encode_jpeg(&img, 90, &mut jpeg)?;
//!
//! let face = to_jpeg(&jpeg, &FaceLimits::default())?;
//! assert_eq!((face.width, face.height), (16, 16));
//! assert!(!face.converted); // JPEG passes through untouched
//! assert_eq!(face.jpeg, jpeg);
//!
//! // Limits are checked on the header, before any decoding.
//! let tight = FaceLimits { max_width: 8, ..FaceLimits::default() };
//! assert!(matches!(to_jpeg(&jpeg, &tight), Err(FaceError::TooLarge { width: 16, height: 16 })));
//! // Formats other than JPEG and JPEG 2000 are refused.
//! let png = b"\x89PNG\r\n\x1a\n";
//! assert!(matches!(to_jpeg(png, &FaceLimits::default()), Err(FaceError::Unsupported(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use emrtd_lds::biometric::{ImageType, detect_image_type};
use hayro_jpeg2000::{DecodeSettings, Image};
use image::{DynamicImage, ImageDecoder};
use thiserror::Error;

/// Limits applied before anything is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaceLimits {
    /// Largest accepted input.
    pub max_input_bytes: usize,
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
    /// Largest width × height (the decoded buffer is at most 4 bytes per pixel).
    pub max_pixels: u64,
    /// JPEG quality of the re-encoded image (1–100).
    pub jpeg_quality: u8,
}

impl Default for FaceLimits {
    fn default() -> Self {
        FaceLimits {
            max_input_bytes: 4 * 1024 * 1024,
            max_width: 4096,
            max_height: 4096,
            max_pixels: 12 * 1024 * 1024,
            jpeg_quality: 90,
        }
    }
}

/// Errors of the conversion.
#[derive(Debug, Error)]
pub enum FaceError {
    /// The input (length carried) exceeds [`FaceLimits::max_input_bytes`]; nothing was decoded.
    #[error("input of {0} bytes exceeds the limit")]
    InputTooLarge(usize),
    /// The header declares a size of zero or beyond [`FaceLimits`] (width, height or pixel count);
    /// checked before the pixels are decoded.
    #[error("image of {width}x{height} exceeds the limits")]
    TooLarge {
        /// The declared width in pixels.
        width: u32,
        /// The declared height in pixels.
        height: u32,
    },
    /// The data is neither JPEG nor JPEG 2000 (e.g. WSQ or PNG; the detected type is carried).
    #[error("unsupported image format {0:?}")]
    Unsupported(ImageType),
    /// The JPEG 2000 decoder rejected the data (or failed on it); the decoder's message is carried.
    #[error("JPEG 2000 decoding failed: {0}")]
    Jpeg2000(String),
    /// The JPEG header could not be read, or encoding the JPEG failed.
    #[error("JPEG: {0}")]
    Jpeg(String),
}

/// A face image ready for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaceJpeg {
    /// The JPEG file (the input itself when it was already JPEG).
    pub jpeg: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The format of the input.
    pub source: ImageType,
    /// Whether the image was re-encoded (false for JPEG passed through).
    pub converted: bool,
}

fn check_dims(w: u32, h: u32, limits: &FaceLimits) -> Result<(), FaceError> {
    if w == 0
        || h == 0
        || w > limits.max_width
        || h > limits.max_height
        || u64::from(w) * u64::from(h) > limits.max_pixels
    {
        return Err(FaceError::TooLarge { width: w, height: h });
    }
    Ok(())
}

/// The codestream inside a JP2 file (the content of its `jp2c` box), if any.
pub fn jp2_codestream(jp2: &[u8]) -> Option<&[u8]> {
    let mut rest = jp2;
    while rest.len() >= 8 {
        let len32 = u32::from_be_bytes([*rest.first()?, *rest.get(1)?, *rest.get(2)?, *rest.get(3)?]);
        let kind = rest.get(4..8)?;
        let (header, len) = match len32 {
            0 => (8usize, rest.len()),
            1 => {
                let l = rest.get(8..16)?;
                let mut b = [0u8; 8];
                b.copy_from_slice(l);
                (16usize, usize::try_from(u64::from_be_bytes(b)).ok()?)
            }
            n => (8usize, usize::try_from(n).ok()?),
        };
        if len < header || len > rest.len() {
            return None;
        }
        if kind == b"jp2c" {
            return rest.get(header..len);
        }
        rest = rest.get(len..)?;
    }
    None
}

/// Converts a face image to JPEG: JPEG input is returned unchanged (after checking its
/// dimensions), JP2 and raw J2K codestreams are decoded and re-encoded.
pub fn to_jpeg(data: &[u8], limits: &FaceLimits) -> Result<FaceJpeg, FaceError> {
    if data.len() > limits.max_input_bytes {
        return Err(FaceError::InputTooLarge(data.len()));
    }
    let source = detect_image_type(data);
    match source {
        ImageType::Jpeg => {
            let dec = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(data))
                .map_err(|e| FaceError::Jpeg(e.to_string()))?;
            let (w, h) = dec.dimensions();
            check_dims(w, h, limits)?;
            Ok(FaceJpeg {
                jpeg: data.to_vec(),
                width: w,
                height: h,
                source,
                converted: false,
            })
        }
        ImageType::Jp2 | ImageType::J2k => {
            let rgb = decode_jpeg2000_rgb(data, limits)?;
            let (w, h) = (rgb.width(), rgb.height());
            let mut jpeg = Vec::new();
            let quality = limits.jpeg_quality.clamp(1, 100);
            encode_jpeg(&rgb, quality, &mut jpeg)?;
            Ok(FaceJpeg {
                jpeg,
                width: w,
                height: h,
                source,
                converted: true,
            })
        }
        other => Err(FaceError::Unsupported(other)),
    }
}

/// JPEG-encodes decoded pixels (as returned by [`decode_jpeg2000_rgb`]) at `quality` with
/// the `jpeg-encoder` crate (baseline, 4:2:0 chroma subsampling for colour, optimised DCT;
/// about 4× faster than the `image` crate's encoder on the REF-1 face).
pub fn encode_jpeg(img: &DynamicImage, quality: u8, out: &mut Vec<u8>) -> Result<(), FaceError> {
    let (color, pixels) = match img {
        DynamicImage::ImageLuma8(l) => (jpeg_encoder::ColorType::Luma, l.as_raw().as_slice()),
        DynamicImage::ImageRgb8(rgb) => (jpeg_encoder::ColorType::Rgb, rgb.as_raw().as_slice()),
        _ => return Err(FaceError::Jpeg("unexpected pixel layout".into())),
    };
    let too_big = || FaceError::Jpeg(format!("{}x{} is too large for JPEG", img.width(), img.height()));
    let w = u16::try_from(img.width()).map_err(|_| too_big())?;
    let h = u16::try_from(img.height()).map_err(|_| too_big())?;
    jpeg_encoder::Encoder::new(out, quality)
        .encode(pixels, w, h, color)
        .map_err(|e| FaceError::Jpeg(e.to_string()))
}

/// Decodes a JP2 file or J2K codestream to the pixels the JPEG encoder takes: 8-bit luma for
/// an 8-bit one-channel image, 8-bit RGB otherwise (alpha dropped, 16-bit reduced). Dimensions are
/// checked against `limits` before the pixels are decoded.
pub fn decode_jpeg2000_rgb(data: &[u8], limits: &FaceLimits) -> Result<DynamicImage, FaceError> {
    // The decoder is memory safe but may still panic on malformed input in places;
    // a hostile image must not take the caller down, so a panic becomes an error.
    let decoded = std::panic::catch_unwind(|| decode_jpeg2000(data, limits))
        .map_err(|_| FaceError::Jpeg2000("decoder panicked on malformed input".into()))??;
    // `into_*` keeps the buffer when the decoder already produced that layout.
    Ok(match decoded {
        DynamicImage::ImageLuma8(l) => DynamicImage::ImageLuma8(l),
        DynamicImage::ImageRgb8(rgb) => DynamicImage::ImageRgb8(rgb),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    })
}

fn decode_jpeg2000(data: &[u8], limits: &FaceLimits) -> Result<DynamicImage, FaceError> {
    let img = Image::new(data, &DecodeSettings::default()).map_err(|e| FaceError::Jpeg2000(e.to_string()))?;
    check_dims(img.width(), img.height(), limits)?;
    DynamicImage::from_decoder(img).map_err(|e| FaceError::Jpeg2000(e.to_string()))
}
