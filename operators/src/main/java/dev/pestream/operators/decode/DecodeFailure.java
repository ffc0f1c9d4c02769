package dev.pestream.operators.decode;

/** Why a chunk could not be decoded; the name is the dead letter's error class. */
public enum DecodeFailure {
  /** Zero-length payload. */
  EMPTY,
  /** Payload larger than {@link DecodeLimits#maxPayloadBytes()}. */
  TOO_LARGE,
  /** The bytes are a format outside the demuxer allow-list (playlists, concat scripts, images...). */
  FORMAT_NOT_ALLOWED,
  /** A demuxer tried to open another file or URL named inside the chunk; it was refused. */
  EXTERNAL_REFERENCE,
  /** No allowed demuxer recognises the bytes, or the container header is unreadable. */
  UNREADABLE,
  /** The container holds no audio or video stream. */
  NO_MEDIA,
  /** A stream's codec is outside the decoder allow-list. */
  CODEC_NOT_ALLOWED,
  /** A picture exceeds {@link DecodeLimits#maxWidth()} x {@link DecodeLimits#maxHeight()}. */
  RESOLUTION_LIMIT,
  /** The decoded media exceeds {@link DecodeLimits#maxDurationUs()}. */
  DURATION_LIMIT,
  /** More than {@link DecodeLimits#maxVideoFrames()} video frames. */
  FRAME_LIMIT,
  /** Decoding took longer than {@link DecodeLimits#maxDecodeMillis()}. */
  TIMEOUT,
  /** Demuxing or decoding reported damaged data (truncated, corrupt, inconsistent). */
  CORRUPT,
  /** A frame policy needs the stream's frame rate and FFmpeg could not determine it. */
  UNKNOWN_FRAME_RATE,
  /** A claim-checked payload could not be fetched or failed verification. */
  BLOB
}
