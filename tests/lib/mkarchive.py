#!/usr/bin/env python3
"""mkarchive.py -- write a miniature Binance-style archive into a directory.

    python3 tests/lib/mkarchive.py --out DIR [--big-folder N] [--corrupt]
                                   [--manifest FILE] [--seed S] [--prefix P]

The layout mirrors the public archive (bucket data.binance.vision, see
shared/LAKEHOUSE.md) key for key, under DIR/<prefix>/ (prefix "data" by
default, so DIR/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip):

  kline families   <market>/<daily|monthly>/<type>/<SYMBOL>/<interval>/<SYMBOL>-<interval>-<date>.zip
  other types      <market>/<daily|monthly>/<type>/<SYMBOL>/<SYMBOL>-<type>-<date>.zip

for the markets spot, futures/um, futures/cm and option, every type of each
market, and the symbols BTCUSDT, ETHUSDT, 1000SHIBUSDT, BTCUSDT_230331,
ICPUSDT_SETTLED, BTCUSD_PERP and 币安人生USDT (the key is UTF-8 on disk; an
S3 client percent-encodes it).  Every X.zip holds one deflated member
X.csv (LF line endings; spot never with a header, futures sometimes, both
forms for one type; spot timestamps in ms before 2025-01-01, in µs from
then on) and has a sibling X.zip.CHECKSUM as `sha256sum X.zip` prints it
(a few lack the final newline, as some real ones do).

--big-folder N (default 3000) makes spot/daily/klines/BTCUSDT/1m hold N
consecutive days ending 2025-01-02, i.e. 2N keys.  The days that the other
folders also have carry full days of 1m klines (1,440 rows, ~60 KB zipped,
like the real ones); the rest carry the first --big-rows rows (default 10)
so that the default archive stays a few MB.  With N = 0 that folder is like
the others.

--corrupt makes exactly one zip whose CHECKSUM does not match (a stale
checksum: the zip is valid, the checksum is that of an earlier version of
it), and prints "mkarchive: corrupt: KEY" on stderr.

--manifest FILE writes every key and its size, tab-separated, one a line,
sorted in S3 listing order (bytewise UTF-8).  Keys include the prefix.

The output depends only on the options (fixed seed, fixed zip timestamps,
fixed file mtimes).  DIR/<prefix> must not exist yet (with --prefix '',
DIR must be empty); --force deletes it first.
The last line on stdout is "N keys, B bytes in DIR".
"""

import argparse
import datetime as dt
import hashlib
import io
import os
import random
import shutil
import sys
import zipfile

DAY = dt.timedelta(days=1)
US_FROM = dt.date(2025, 1, 1)  # spot timestamps in microseconds from this day on
ROW_CAP = 1440                 # rows per CSV at most (1s and monthly 1m are cut)

INTERVAL_MS = {
    "1s": 1000, "1m": 60000, "3m": 180000, "5m": 300000, "15m": 900000,
    "30m": 1800000, "1h": 3600000, "2h": 7200000, "4h": 14400000,
    "6h": 21600000, "8h": 28800000, "12h": 43200000, "1d": 86400000,
    "3d": 259200000, "1w": 604800000,
}

KLINE_FAMILIES = ("klines", "indexPriceKlines", "markPriceKlines", "premiumIndexKlines")

TYPES = {
    ("spot", "daily"): ["aggTrades", "klines", "trades"],
    ("spot", "monthly"): ["aggTrades", "klines", "trades"],
    ("futures", "daily"): ["aggTrades", "bookDepth", "bookTicker", "indexPriceKlines",
                           "klines", "liquidationSnapshot", "markPriceKlines",
                           "metrics", "premiumIndexKlines", "trades"],
    ("futures", "monthly"): ["aggTrades", "bookTicker", "fundingRate", "indexPriceKlines",
                             "klines", "markPriceKlines", "premiumIndexKlines", "trades"],
    ("option", "daily"): ["BVOLIndex", "EOHSummary"],
}

# Which intervals each folder gets (a subset of the real ones, all names real).
INTERVALS = {
    ("spot", "daily"): ["1s", "1m", "5m", "1h", "1d"],
    ("spot", "monthly"): ["1m", "1h", "4h", "1d", "3d", "1w", "1mo"],
    ("futures", "daily"): ["1m", "15m", "1h", "1d"],
    ("futures", "monthly"): ["1h", "12h", "1d", "3d", "1w", "1mo"],
}
SECONDARY_INTERVALS = {"daily": ["1h", "1d"], "monthly": ["1d", "1mo"]}

# symbol -> (base price, daily dates, monthly months); "full" symbols get every type
SPOT = {
    "BTCUSDT": (93500.0, ["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02"],
                ["2024-11", "2024-12", "2025-01"], True),
    "ETHUSDT": (3350.0, ["2024-12-31", "2025-01-01"], ["2024-12"], True),
    "币安人生USDT": (0.1234, ["2025-01-01", "2025-01-02"], ["2025-01"], False),
}
UM = {
    "BTCUSDT": (93400.0, ["2024-12-31", "2025-01-01"], ["2024-12"], True),
    "ETHUSDT": (3348.0, ["2025-01-01"], ["2024-12"], False),
    "1000SHIBUSDT": (0.02134, ["2024-12-31", "2025-01-01"], ["2024-12"], False),
    "BTCUSDT_230331": (28100.0, ["2023-03-30", "2023-03-31"], ["2023-03"], False),
    "ICPUSDT_SETTLED": (5.12, ["2022-10-10"], ["2022-09"], False),
    "币安人生USDT": (0.1231, ["2025-01-01"], [], False),
}
CM = {
    "BTCUSD_PERP": (93450.0, ["2024-12-31", "2025-01-01"], ["2024-12"], True),
}
OPTION = {
    "BVOLIndex": {"BTCBVOLUSDT": (52.3, ["2023-10-01", "2023-10-02"])},
    "EOHSummary": {"BTCUSDT": (27000.0, ["2023-10-01"])},
}

HEADERS = {
    "klines": "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
              "taker_buy_volume,taker_buy_quote_volume,ignore",
    "aggTrades": "agg_trade_id,price,quantity,first_trade_id,last_trade_id,"
                 "transact_time,is_buyer_maker",
    "trades": "id,price,qty,quote_qty,time,is_buyer_maker",
    "bookDepth": "timestamp,percentage,depth,notional",
    "bookTicker": "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,"
                  "transaction_time,event_time",
    "liquidationSnapshot": "time,side,order_type,time_in_force,original_quantity,price,"
                           "average_price,order_status,last_fill_quantity,"
                           "accumulated_fill_quantity",
    "metrics": "create_time,symbol,sum_open_interest,sum_open_interest_value,"
               "count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,"
               "count_long_short_ratio,sum_taker_long_short_vol_ratio",
    "fundingRate": "calc_time,funding_interval_hours,last_funding_rate",
    "BVOLIndex": "calc_time,symbol,base_asset,quote_asset,index_value",
    "EOHSummary": "date,hour,symbol,underlying,type,strike,open,high,low,close,"
                  "volume_contracts,volume_usdt,best_bid_price,best_ask_price,best_bid_qty,"
                  "best_ask_qty,best_buy_iv,best_sell_iv,mark_price,mark_iv,delta,gamma,"
                  "vega,theta,openinterest_contracts,openinterest_usdt",
}


def ms(d):
    """Epoch milliseconds of a date's midnight UTC."""
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp()) * 1000


def parse_date(s):
    """'2025-01-01' -> (first day, last day); '2025-01' -> the month's first and last."""
    if len(s) == 10:
        d = dt.date.fromisoformat(s)
        return d, d
    first = dt.date.fromisoformat(s + "-01")
    nxt = (first.replace(day=28) + 4 * DAY).replace(day=1)
    return first, nxt - DAY


def decimals(base):
    """Price decimals (the tick) of a symbol trading near base."""
    return 2 if base >= 1000 else 4 if base >= 1 else 7


def px(p, base, spot):
    """A price: spot prints the tick-rounded price with 8 decimals
    ("93512.34000000"), futures with the tick's decimals ("93512.34")."""
    n = decimals(base)
    return "%.8f" % round(p, n) if spot else "%.*f" % (n, p)


def qty(q, spot):
    """A quantity: spot "0.01234000", futures "0.012"."""
    return "%.8f" % round(q, 5) if spot else "%.3f" % q


class Gen:
    """Generates the CSV rows of one file; rng is the archive's one Random."""

    def __init__(self, rng):
        self.rng = rng

    def walk(self, price, n, vol=0.0008):
        """n random-walk prices from price."""
        out = []
        for _ in range(n):
            price *= 1 + self.rng.gauss(0, vol)
            out.append(price)
        return out

    def klines(self, market, family, base, first, last, interval, rows_max, spot):
        r = self.rng
        t0 = ms(first)
        if interval == "1mo":
            step, n = None, 1
        else:
            step = INTERVAL_MS[interval]
            n = max(1, (ms(last + DAY) - t0) // step)
        n = min(n, rows_max)
        start = base * (1 + r.uniform(-0.02, 0.02))
        closes = self.walk(start, n)
        rows, prev = [], start
        for i, c in enumerate(closes):
            if step is None:
                ot, ct = t0, ms(last + DAY) - 1
            else:
                ot, ct = t0 + i * step, t0 + (i + 1) * step - 1
            if spot and first >= US_FROM:
                ot, ct = ot * 1000, ct * 1000 + 999
            o = prev
            hi = max(o, c) * (1 + abs(r.gauss(0, 0.0003)))
            lo = min(o, c) * (1 - abs(r.gauss(0, 0.0003)))
            prev = c
            if family == "klines":
                vol = r.lognormvariate(0, 1) * 5e3 / base ** 0.5
                cnt = r.randint(50, 5000)
                tb = vol * r.uniform(0.3, 0.7)
                rows.append(",".join([str(ot), px(o, base, spot), px(hi, base, spot),
                                      px(lo, base, spot), px(c, base, spot), qty(vol, spot),
                                      str(ct), "%.8f" % (vol * c) if spot else "%.5f" % (vol * c),
                                      str(cnt), qty(tb, spot),
                                      "%.8f" % (tb * c) if spot else "%.5f" % (tb * c), "0"]))
            else:
                if family == "premiumIndexKlines":
                    ohlc = ["%.8f" % r.gauss(0, 2e-4) for _ in range(4)]
                else:
                    ohlc = [px(x, base, False) for x in (o, hi, lo, c)]
                rows.append(",".join([str(ot)] + ohlc + ["0", str(ct), "0",
                                                         str(r.randint(10, 60)), "0", "0", "0"]))
        return rows

    def trades(self, kind, base, first, last, n, spot):
        """aggTrades or trades: n rows spread over [first, last]."""
        r = self.rng
        t, span = ms(first), ms(last + DAY) - ms(first)
        tid = r.randint(10 ** 8, 4 * 10 ** 9)
        rows = []
        for p in self.walk(base, n, 0.0002):
            t += r.randint(1, max(2, 2 * span // n))
            ts = t * 1000 + r.randint(0, 999) if spot and first >= US_FROM else t
            q = r.lognormvariate(-3, 1.5) * 1e3 / base ** 0.5
            maker = r.random() < 0.5
            b = ("True" if maker else "False") if spot else ("true" if maker else "false")
            if kind == "aggTrades":
                k = r.randint(0, 3)
                row = [str(tid), px(p, base, spot), qty(q, spot), str(tid * 2),
                       str(tid * 2 + k), str(ts), b]
                tid += 1
            else:
                row = [str(tid), px(p, base, spot), qty(q, spot), "%.8f" % (p * q), str(ts), b]
                tid += r.randint(1, 4)
            if spot:
                row.append("True")
            rows.append(",".join(row))
        return rows

    def other(self, typ, symbol, base, first, last, n):
        r = self.rng
        t0 = ms(first)
        rows = []
        if typ == "bookDepth":
            for i in range(n // 12 + 1):
                ts = dt.datetime.fromtimestamp(t0 / 1000 + i * 30, dt.timezone.utc)
                for pct in (-5, -4, -3, -2, -1, -0.2, 0.2, 1, 2, 3, 4, 5):
                    d = abs(pct) * r.uniform(800, 1200) / base ** 0.3
                    rows.append("%s,%s,%.8f,%.8f" % (ts.strftime("%Y-%m-%d %H:%M:%S"),
                                                    ("%g" % pct), d, d * base))
        elif typ == "bookTicker":
            uid = r.randint(10 ** 12, 5 * 10 ** 12)
            t = t0
            for p in self.walk(base, n, 0.0001):
                t += r.randint(1, 400)
                uid += r.randint(1, 50)
                rows.append("%d,%s,%.3f,%s,%.3f,%d,%d" % (
                    uid, px(p, base, False), r.uniform(0.01, 5), px(p * 1.0001, base, False),
                    r.uniform(0.01, 5),
                    t, t + r.randint(1, 5)))
        elif typ == "liquidationSnapshot":
            t = t0
            for p in self.walk(base, n, 0.002):
                t += r.randint(1000, 600000)
                q = r.uniform(0.001, 2)
                rows.append("%d,%s,LIMIT,IOC,%.3f,%s,%s,FILLED,%.3f,%.3f" % (
                    t, r.choice(("BUY", "SELL")), q, px(p, base, False), px(p, base, False),
                    q, q))
        elif typ == "metrics":
            oi = r.uniform(5e4, 1e5) * 1000 / base ** 0.5
            for i in range(min(n, 288)):
                ts = dt.datetime.fromtimestamp(t0 / 1000 + i * 300, dt.timezone.utc)
                oi *= 1 + r.gauss(0, 0.001)
                rows.append("%s,%s,%.4f,%.8f,%.8f,%.5f,%.8f,%.5f" % (
                    ts.strftime("%Y-%m-%d %H:%M:%S"), symbol, oi, oi * base,
                    r.uniform(0.8, 2.5), r.uniform(0.8, 2.5), r.uniform(0.8, 2.5),
                    r.uniform(0.5, 1.5)))
        elif typ == "fundingRate":
            t = t0
            while t < ms(last + DAY):
                rows.append("%d,8,%.8f" % (t, r.gauss(1e-4, 5e-5)))
                t += 8 * 3600 * 1000
        elif typ == "BVOLIndex":
            v = base
            for i in range(min(n, 1440)):
                v *= 1 + r.gauss(0, 0.001)
                rows.append("%d,%s,BTC,USDT,%.2f" % (t0 + i * 60000, symbol, v))
        elif typ == "EOHSummary":
            for hour in range(24):
                for strike, kind in ((26000, "C"), (27000, "P"), (28000, "C")):
                    o = r.uniform(100, 1500)
                    name = "BTC-%s-%d-%s" % (first.strftime("%y%m%d"), strike, kind)
                    rows.append("%s,%02d,%s,BTCUSDT,%s,%d,%s" % (
                        first.isoformat(), hour, name, "CALL" if kind == "C" else "PUT",
                        strike, ",".join("%.1f" % x for x in (
                            o, o * 1.05, o * 0.95, o * r.uniform(0.95, 1.05),
                            r.uniform(0, 50), r.uniform(0, 9e5), o * 0.99, o * 1.01,
                            r.uniform(0, 20), r.uniform(0, 20), r.uniform(0.3, 0.6),
                            r.uniform(0.3, 0.6), o, r.uniform(0.3, 0.6),
                            r.uniform(-1, 1), r.uniform(0, 1e-3), r.uniform(0, 20),
                            r.uniform(-50, 0), r.uniform(0, 500), r.uniform(0, 1e7)))))
        return rows


class Archive:
    def __init__(self, args):
        self.out = args.out
        self.prefix = args.prefix.strip("/")
        self.rng = random.Random(args.seed)
        self.gen = Gen(self.rng)
        self.big = args.big_folder
        self.big_rows = args.big_rows
        self.keys = {}           # key -> size
        self.zips = []           # keys of the zips, in creation order
        self.corrupt = None

    def key_of(self, rel):
        return (self.prefix + "/" if self.prefix else "") + rel

    def write(self, rel, data, mtime):
        key = self.key_of(rel)
        if key in self.keys:
            raise SystemExit("mkarchive: bug: key written twice: " + key)
        path = os.path.join(self.out, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (mtime, mtime))
        self.keys[key] = len(data)

    def zip_bytes(self, base, rows, header, when):
        csv = ((header + "\n") if header else "") + "".join(r + "\n" for r in rows)
        zi = zipfile.ZipInfo(base + ".csv", date_time=when.timetuple()[:6])
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(zi, csv.encode())
        return buf.getvalue()

    def add(self, folder, base, rows, header, last):
        """Write folder/base.zip and its CHECKSUM.  Published the day after."""
        when = dt.datetime(last.year, last.month, last.day) + dt.timedelta(days=1, hours=4,
                                                                           minutes=self.rng.randint(0, 59))
        data = self.zip_bytes(base, rows, header, when)
        line = "%s  %s.zip" % (hashlib.sha256(data).hexdigest(), base)
        # about one in twenty-five has no final newline, as some old ones
        if self.rng.random() >= 0.04:
            line += "\n"
        mtime = int(when.replace(tzinfo=dt.timezone.utc).timestamp())
        rel = "%s/%s.zip" % (folder, base)
        self.write(rel, data, mtime)
        self.write(rel + ".CHECKSUM", line.encode(), mtime)
        self.zips.append((self.key_of(rel), base, rows, header, when))

    def header_for(self, spot, typ):
        """Futures CSVs: with or without a header, both forms for every type."""
        if spot or typ not in HEADERS:
            return None
        return HEADERS[typ] if self.rng.random() < 0.5 else None

    def rows_for(self, market, typ, base, first, last, interval=None, cap=ROW_CAP):
        spot = market == "spot"
        if typ in KLINE_FAMILIES:
            return self.gen.klines(market, typ, base, first, last, interval, cap, spot)
        if typ in ("aggTrades", "trades"):
            return self.gen.trades(typ, base, first, last, 400 if first == last else 800, spot)
        return self.gen.other(typ, None, base, first, last, 300)

    def market(self, market, symbols):
        kind = "spot" if market == "spot" else "futures"
        for period in ("daily", "monthly"):
            for typ in TYPES[(kind, period)]:
                for sym, (base, days, months, full) in symbols.items():
                    if not full and typ not in ("klines", "aggTrades"):
                        continue
                    if (market, period, typ, sym) == ("spot", "daily", "klines", "BTCUSDT") \
                            and self.big:
                        self.big_folder(base)
                        continue
                    dates = days if period == "daily" else months
                    if typ in KLINE_FAMILIES:
                        ivs = INTERVALS[(kind, period)] if typ == "klines" \
                            else SECONDARY_INTERVALS[period]
                        if not full:
                            ivs = [i for i in ivs if i in ("1m", "1h", "1d", "1mo")]
                        for iv in ivs:
                            if iv == "1s" and sym != "BTCUSDT":
                                continue
                            for d in dates:
                                first, last = parse_date(d)
                                rows = self.rows_for(market, typ, base, first, last, iv)
                                self.add("%s/%s/%s/%s/%s" % (market, period, typ, sym, iv),
                                         "%s-%s-%s" % (sym, iv, d), rows,
                                         self.header_for(kind == "spot", "klines"), last)
                    else:
                        for d in dates:
                            first, last = parse_date(d)
                            if typ == "metrics":
                                rows = self.gen.other(typ, sym, base, first, last, 288)
                            else:
                                rows = self.rows_for(market, typ, base, first, last)
                            self.add("%s/%s/%s/%s" % (market, period, typ, sym),
                                     "%s-%s-%s" % (sym, typ, d), rows,
                                     self.header_for(kind == "spot", typ), last)

    def big_folder(self, base):
        """spot/daily/klines/BTCUSDT/1m: N days ending 2025-01-02."""
        full = set(SPOT["BTCUSDT"][1])
        end = dt.date(2025, 1, 2)
        for i in range(self.big - 1, -1, -1):
            d = end - i * DAY
            cap = ROW_CAP if d.isoformat() in full else self.big_rows
            rows = self.gen.klines("spot", "klines", base, d, d, "1m", cap, True)
            self.add("spot/daily/klines/BTCUSDT/1m", "BTCUSDT-1m-%s" % d.isoformat(),
                     rows, None, d)

    def options(self):
        for typ, syms in OPTION.items():
            for sym, (base, days) in syms.items():
                for d in days:
                    first, last = parse_date(d)
                    rows = self.gen.other(typ, sym, base, first, last, 1440)
                    self.add("option/daily/%s/%s" % (typ, sym), "%s-%s-%s" % (sym, typ, d),
                             rows, HEADERS[typ], last)

    def make_corrupt(self):
        """Rewrite one zip (a small spot 1h kline day) so its CHECKSUM is stale."""
        want = self.key_of("spot/daily/klines/ETHUSDT/1h/ETHUSDT-1h-2024-12-31.zip")
        for key, base, rows, header, when in self.zips:
            if key == want:
                break
        else:
            key, base, rows, header, when = self.zips[len(self.zips) // 2]
        # republished: the last row's close and volume changed; the CHECKSUM is the old one
        last = rows[-1].split(",")
        last[4] = "%.8f" % (float(last[4]) * 1.001)
        last[5] = "%.8f" % (float(last[5]) + 1)
        data = self.zip_bytes(base, rows[:-1] + [",".join(last)], header,
                              when + dt.timedelta(days=30))
        path = os.path.join(self.out, key)
        st = os.stat(path)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (st.st_mtime, st.st_mtime))
        self.keys[key] = len(data)
        self.corrupt = key

    def build(self, corrupt):
        self.market("spot", SPOT)
        self.market("futures/um", UM)
        self.market("futures/cm", CM)
        self.options()
        if corrupt:
            self.make_corrupt()


def main():
    ap = argparse.ArgumentParser(description="Write a miniature Binance-style archive.")
    ap.add_argument("--out", required=True, help="directory to write into")
    ap.add_argument("--prefix", default="data", help="top folder (key prefix), default 'data'")
    ap.add_argument("--big-folder", type=int, default=3000, metavar="N",
                    help="days in spot/daily/klines/BTCUSDT/1m (2N keys; default 3000)")
    ap.add_argument("--big-rows", type=int, default=10, metavar="R",
                    help="rows in the big folder's filler days (default 10)")
    ap.add_argument("--corrupt", action="store_true",
                    help="make exactly one zip whose CHECKSUM does not match")
    ap.add_argument("--manifest", metavar="FILE", help="write KEY<TAB>SIZE lines to FILE")
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--force", action="store_true", help="delete OUT/PREFIX first")
    a = ap.parse_args()
    if a.big_folder < 0 or a.big_rows < 1:
        ap.error("--big-folder must be >= 0 and --big-rows >= 1")

    prefix = a.prefix.strip("/")
    top = os.path.join(a.out, prefix) if prefix else a.out
    if os.path.lexists(top) and (prefix or os.listdir(top)):
        if not a.force:
            sys.exit("mkarchive: '%s' exists; remove it or pass --force" % top)
        shutil.rmtree(top)
    os.makedirs(a.out, exist_ok=True)

    ar = Archive(a)
    ar.build(a.corrupt)
    if ar.corrupt:
        print("mkarchive: corrupt: " + ar.corrupt, file=sys.stderr)
    keys = sorted(ar.keys, key=lambda k: k.encode())
    if a.manifest:
        with open(a.manifest, "w", encoding="utf-8") as f:
            for k in keys:
                f.write("%s\t%d\n" % (k, ar.keys[k]))
    print("%d keys, %d bytes in %s" % (len(keys), sum(ar.keys.values()), a.out))


if __name__ == "__main__":
    main()
