package dev.pestream.operators.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Small JPEGs for caption tests (the JDK's encoder). */
public final class TestJpegs {
  private TestJpegs() {}

  /** A {@code size x size} JPEG of one colour. */
  public static byte[] solid(int size, int r, int g, int b) {
    BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g2 = image.createGraphics();
    g2.setColor(new Color(r, g, b));
    g2.fillRect(0, 0, size, size);
    g2.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "jpeg", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
