package dev.userpoll.benchmarks.report;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Draws the HTTP harness's chart: a row per metric (throughput, server CPU per request), a column per
 * load, one bar per transport with its median and a min-max whisker; each panel has its own scale. Dependency-free
 * (java.awt, headless).
 * <pre>
 * java -cp benchmarks.jar dev.userpoll.benchmarks.report.HttpBenchChart summary.csv chart.png "title"
 * </pre>
 * {@code summary.csv} has the header {@code load,transport,metric,median,min,max}; rows keep their order
 * (loads and transports appear in the order first seen). Metrics drawn: {@code rps}, {@code cpu_us_per_req}.
 */
public final class HttpBenchChart {
    private static final String[][] PANELS = {
            {"rps", "Requests per second (higher is better)"},
            {"loop_us_per_req", "Event-loop thread CPU \u00b5s per request (lower is better)"},
            {"cpu_us_per_req", "Server process CPU \u00b5s per request, JIT and GC included (lower is better)"},
    };
    private static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xd62728), new Color(0xff7f0e),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0x17becf), new Color(0x7f7f7f),
            new Color(0xe377c2), new Color(0xbcbd22),
    };
    private static final int PANEL_WIDTH = 420;
    private static final int PANEL_HEIGHT = 300;
    private static final int TITLE_HEIGHT = 40;
    private static final int ROW_LABEL_HEIGHT = 26;
    private static final int LEGEND_HEIGHT = 36;

    private HttpBenchChart() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: HttpBenchChart summary.csv chart.png [title]");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        Data data = Data.read(Path.of(args[0]));
        BufferedImage image = draw(data, args.length > 2 ? args[2] : "HTTP echo server");
        ImageIO.write(image, "png", new File(args[1]));
    }

    /** One row per metric, one column per load; every panel has its own scale. */
    static BufferedImage draw(Data data, String title) {
        int columns = Math.max(1, data.loads.size());
        int width = PANEL_WIDTH * columns;
        int rowHeight = ROW_LABEL_HEIGHT + PANEL_HEIGHT;
        int height = TITLE_HEIGHT + rowHeight * PANELS.length + LEGEND_HEIGHT;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        centre(g, title, width / 2, 26);
        for (int r = 0; r < PANELS.length; r++) {
            int y = TITLE_HEIGHT + r * rowHeight;
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            centre(g, PANELS[r][1], width / 2, y + 18);
            for (int c = 0; c < data.loads.size(); c++) {
                panel(g, data, PANELS[r][0], data.loads.get(c), c * PANEL_WIDTH, y + ROW_LABEL_HEIGHT);
            }
        }
        legend(g, data.transports, width, TITLE_HEIGHT + rowHeight * PANELS.length);
        g.dispose();
        return image;
    }

    private static void panel(Graphics2D g, Data data, String metric, String load, int x0, int y0) {
        int left = x0 + 60;
        int right = x0 + PANEL_WIDTH - 15;
        int top = y0 + 22;
        int bottom = y0 + PANEL_HEIGHT - 30;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        g.setColor(Color.BLACK);
        centre(g, load, (left + right) / 2, y0 + 12);

        double max = 0;
        for (String t : data.transports) {
            double[] v = data.get(load, t, metric);
            if (v != null) {
                max = Math.max(max, Math.max(v[0], v[2]));
            }
        }
        if (max <= 0) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            centre(g, "no data", (left + right) / 2, (top + bottom) / 2);
            return;
        }
        double step = niceStep(max / 5);
        double axisMax = Math.ceil(max * 1.1 / step) * step;

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        for (double v = 0; v <= axisMax + step / 2; v += step) {
            int y = bottom - (int) Math.round(v / axisMax * (bottom - top));
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left, y, right, y);
            g.setColor(Color.DARK_GRAY);
            String s = axisLabel(v, step);
            g.drawString(s, left - 6 - fm.stringWidth(s), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);

        int bars = data.transports.size();
        double slot = (right - left) / (double) bars;
        for (int bi = 0; bi < bars; bi++) {
            double[] v = data.get(load, data.transports.get(bi), metric);
            if (v == null) {
                continue;
            }
            int bw = Math.max(2, (int) Math.round(slot * 0.7));
            int bx = (int) Math.round(left + bi * slot + (slot - bw) / 2);
            int by = bottom - (int) Math.round(v[0] / axisMax * (bottom - top));
            g.setColor(PALETTE[bi % PALETTE.length]);
            g.fillRect(bx, by, bw, bottom - by);
            // Whisker: min to max over the rounds.
            int ymin = bottom - (int) Math.round(v[1] / axisMax * (bottom - top));
            int ymax = bottom - (int) Math.round(v[2] / axisMax * (bottom - top));
            int cx = bx + bw / 2;
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.2f));
            g.drawLine(cx, ymin, cx, ymax);
            g.drawLine(cx - 4, ymin, cx + 4, ymin);
            g.drawLine(cx - 4, ymax, cx + 4, ymax);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            String s = valueLabel(v[0]);
            int sw = g.getFontMetrics().stringWidth(s);
            g.drawString(s, cx - sw / 2, Math.min(ymax, by) - 4);
        }
    }

    private static void legend(Graphics2D g, List<String> transports, int width, int y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        int total = 0;
        for (String t : transports) {
            total += 18 + fm.stringWidth(t) + 22;
        }
        int x = Math.max(10, (width - total) / 2);
        for (int i = 0; i < transports.size(); i++) {
            g.setColor(PALETTE[i % PALETTE.length]);
            g.fillRect(x, y + 10, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(transports.get(i), x + 18, y + 21);
            x += 18 + fm.stringWidth(transports.get(i)) + 22;
        }
    }

    private static void centre(Graphics2D g, String s, int x, int y) {
        g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, y);
    }

    static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double n = raw / mag;
        double nice = n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10;
        return nice * mag;
    }

    private static String axisLabel(double v, double step) {
        if (v >= 1000 && step >= 1000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1000);
        }
        return step < 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String valueLabel(double v) {
        if (v >= 10000) {
            return String.format(Locale.ROOT, v >= 100000 ? "%.0fk" : "%.1fk", v / 1000);
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** The summary rows, keyed by load, transport and metric. */
    static final class Data {
        final List<String> loads;
        final List<String> transports;
        private final Map<String, double[]> values;

        private Data(List<String> loads, List<String> transports, Map<String, double[]> values) {
            this.loads = loads;
            this.transports = transports;
            this.values = values;
        }

        double[] get(String load, String transport, String metric) {
            return values.get(load + '\u0000' + transport + '\u0000' + metric);
        }

        static Data read(Path csv) throws IOException {
            List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).trim().equals("load,transport,metric,median,min,max")) {
                throw new IOException(csv + ": expected the header load,transport,metric,median,min,max");
            }
            Set<String> loads = new LinkedHashSet<>();
            Set<String> transports = new LinkedHashSet<>();
            Map<String, double[]> values = new LinkedHashMap<>();
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i).trim();
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split(",", -1);
                if (f.length != 6) {
                    throw new IOException(csv + ":" + (i + 1) + ": expected 6 fields, got " + f.length);
                }
                if (f[3].isEmpty()) {
                    continue;
                }
                loads.add(f[0]);
                transports.add(f[1]);
                values.put(f[0] + '\u0000' + f[1] + '\u0000' + f[2], new double[] {
                        Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5])});
            }
            return new Data(new ArrayList<>(loads), new ArrayList<>(transports), values);
        }
    }
}
