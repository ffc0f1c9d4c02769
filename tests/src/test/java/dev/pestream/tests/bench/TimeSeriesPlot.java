package dev.pestream.tests.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A PNG of stacked time-series panels sharing one time axis (minutes), with shaded phases, drawn
 * with java.awt in headless mode (no plotting service, no extra library).
 */
public final class TimeSeriesPlot {
  /** One line of a panel: {@code values[i]} at {@code minutes[i]}. */
  public record Series(String name, Color colour, double[] values) {}

  /** One panel; {@code reference} (NaN = none) is drawn as a dashed horizontal line. */
  public record Panel(String title, List<Series> series, double reference, String referenceLabel) {}

  /** A shaded span of the time axis. */
  public record Phase(String name, double fromMinute, double toMinute, Color shade) {}

  private static final int WIDTH = 1400;
  private static final int PANEL_HEIGHT = 300;
  private static final int LEFT = 110;
  private static final int RIGHT = 30;
  private static final int TOP = 60;
  private static final int GAP = 70;
  private static final int BOTTOM = 60;

  private TimeSeriesPlot() {}

  public static void write(Path png, String title, double[] minutes, List<Panel> panels, List<Phase> phases)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    int height = TOP + panels.size() * PANEL_HEIGHT + (panels.size() - 1) * GAP + BOTTOM;
    BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, height);
      g.setColor(Color.BLACK);
      // the largest title font (18 pt down to 10) that fits the width
      int titleSize = 18;
      do {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, titleSize));
      } while (g.getFontMetrics().stringWidth(title) > WIDTH - LEFT - 10 && --titleSize > 10);
      g.drawString(title, LEFT, 30);
      double maxMinute = minutes.length == 0 ? 1 : Math.max(1e-9, minutes[minutes.length - 1]);
      for (int p = 0; p < panels.size(); p++) {
        int top = TOP + p * (PANEL_HEIGHT + GAP);
        drawPanel(g, panels.get(p), minutes, maxMinute, phases, top, p == panels.size() - 1);
      }
    } finally {
      g.dispose();
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(image, "png", png.toFile());
  }

  private static void drawPanel(Graphics2D g, Panel panel, double[] minutes, double maxMinute, List<Phase> phases,
      int top, boolean last) {
    int plotWidth = WIDTH - LEFT - RIGHT;
    double maxValue = Double.isNaN(panel.reference()) ? 0 : panel.reference();
    for (Series s : panel.series()) {
      for (double v : s.values()) {
        if (!Double.isNaN(v)) {
          maxValue = Math.max(maxValue, v);
        }
      }
    }
    double step = niceStep(maxValue <= 0 ? 1 : maxValue * 1.1 / 5);
    double yMax = step * Math.ceil((maxValue <= 0 ? 1 : maxValue * 1.05) / step);
    for (int i = 0; i < phases.size(); i++) {
      Phase phase = phases.get(i);
      int x0 = x(phase.fromMinute(), maxMinute, plotWidth);
      int x1 = x(phase.toMinute(), maxMinute, plotWidth);
      g.setColor(phase.shade());
      g.fillRect(x0, top, Math.max(1, x1 - x0), PANEL_HEIGHT);
      g.setColor(Color.DARK_GRAY);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.drawString(phase.name(), x0 + 4, top + 14 + 13 * (i % 2)); // neighbours' labels on two lines
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (double v = 0; v <= yMax + step / 2; v += step) {
      int y = y(v, yMax, top);
      g.setColor(new Color(225, 225, 225));
      g.drawLine(LEFT, y, LEFT + plotWidth, y);
      g.setColor(Color.BLACK);
      String label = format(v);
      g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    double minuteStep = niceStep(maxMinute / 10);
    for (double m = 0; m <= maxMinute + 1e-9; m += minuteStep) {
      int x = x(m, maxMinute, plotWidth);
      g.setColor(new Color(235, 235, 235));
      g.drawLine(x, top, x, top + PANEL_HEIGHT);
      g.setColor(Color.BLACK);
      String label = format(m);
      g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, top + PANEL_HEIGHT + 16);
    }
    if (last) {
      g.drawString("minutes", LEFT + plotWidth / 2 - 20, top + PANEL_HEIGHT + 36);
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, top, plotWidth, PANEL_HEIGHT);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(panel.title(), LEFT, top - 10);

    if (!Double.isNaN(panel.reference())) {
      int y = y(panel.reference(), yMax, top);
      g.setColor(Color.GRAY);
      g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
      g.drawLine(LEFT, y, LEFT + plotWidth, y);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.drawString(panel.referenceLabel(), LEFT + plotWidth - 10 - g.getFontMetrics().stringWidth(panel.referenceLabel()),
          y - 4);
    }
    int legendX = LEFT + 300;
    for (Series s : panel.series()) {
      g.setStroke(new BasicStroke(2f));
      g.setColor(s.colour());
      Path2D line = new Path2D.Double();
      boolean started = false;
      for (int i = 0; i < minutes.length && i < s.values().length; i++) {
        if (Double.isNaN(s.values()[i])) {
          started = false;
          continue;
        }
        double px = x(minutes[i], maxMinute, plotWidth);
        double py = y(s.values()[i], yMax, top);
        if (started) {
          line.lineTo(px, py);
        } else {
          line.moveTo(px, py);
          started = true;
        }
      }
      g.draw(line);
      g.fillRect(legendX, top - 20, 18, 4);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.drawString(s.name(), legendX + 24, top - 14);
      legendX += 34 + g.getFontMetrics().stringWidth(s.name());
    }
    g.setStroke(new BasicStroke(1f));
  }

  private static int x(double minute, double maxMinute, int plotWidth) {
    return LEFT + (int) Math.round(minute / maxMinute * plotWidth);
  }

  private static int y(double value, double yMax, int top) {
    return top + PANEL_HEIGHT - (int) Math.round(value / yMax * PANEL_HEIGHT);
  }

  /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
  static double niceStep(double rough) {
    double power = Math.pow(10, Math.floor(Math.log10(rough)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * power >= rough) {
        return m * power;
      }
    }
    return 10 * power;
  }

  private static String format(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }
}
