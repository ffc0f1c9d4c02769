package dev.pestream.operators.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * A gzip'd numpy {@code .npy} file (format versions 1-3, C order) as the fixtures the exporter's
 * Python writes: {@code <f4} (float32) or {@code |u1} (uint8).
 */
public record NpyArray(int[] shape, float[] floats, byte[] bytes) {
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  public static NpyArray readGzip(Path path) throws IOException {
    try (InputStream raw = Files.newInputStream(path);
        DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
      byte[] magic = in.readNBytes(6);
      if (magic.length != 6 || (magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
        throw new IOException(path + ": not a .npy file");
      }
      int major = in.readUnsignedByte();
      in.readUnsignedByte();
      byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
      ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).put(lengthBytes);
      String header = new String(in.readNBytes(length.getInt(0)), StandardCharsets.ISO_8859_1);
      if (header.contains("'fortran_order': True")) {
        throw new IOException(path + ": Fortran order is not supported");
      }
      Matcher descr = DESCR.matcher(header);
      Matcher shapeText = SHAPE.matcher(header);
      if (!descr.find() || !shapeText.find()) {
        throw new IOException(path + ": bad header " + header);
      }
      int[] shape = Arrays.stream(shapeText.group(1).split(","))
          .map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
      int count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
      switch (descr.group(1)) {
        case "<f4" -> {
          ByteBuffer data = ByteBuffer.wrap(in.readNBytes(4 * count)).order(ByteOrder.LITTLE_ENDIAN);
          float[] floats = new float[count];
          data.asFloatBuffer().get(floats);
          return new NpyArray(shape, floats, null);
        }
        case "|u1" -> {
          return new NpyArray(shape, null, in.readNBytes(count));
        }
        default -> throw new IOException(path + ": unsupported dtype " + descr.group(1));
      }
    }
  }
}
