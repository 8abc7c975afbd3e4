"""Regenerate ``schema/vocabularies/countries.csv`` (a one-off data tool, not part of the package).

Why a script: the country vocabulary joins three sources that we want to be able to re-derive and audit:
ISO 3166-1 codes and names (the Debian ``iso-codes`` data shipped by ``pycountry``), an ACLED-style
region per country (our own assignment, listed below), and bounding boxes from Natural Earth 1:110m
admin-0 countries (public domain), padded by ``PAD`` degrees because the 1:110m coastline is coarse.

Usage: ``pip install pycountry && python schema/tools/make_countries.py``
"""

from __future__ import annotations

import csv
from pathlib import Path

import pycountry

HERE = Path(__file__).resolve().parent
VOCAB = HERE.parent / "vocabularies"
PAD = 0.1

REGIONS: dict[str, str] = {
    "Western Africa": "BEN BFA CIV CPV GHA GIN GMB GNB LBR MLI MRT NER NGA SEN SHN SLE TGO",
    "Middle Africa": "AGO CAF CMR COD COG GAB GNQ STP TCD",
    "Eastern Africa": "BDI COM DJI ERI ETH IOT KEN MDG MOZ MUS MWI MYT REU RWA SOM SSD SYC TZA UGA ZMB ZWE ATF",
    "Southern Africa": "BWA LSO NAM SWZ ZAF",
    "Northern Africa": "DZA EGY ESH LBY MAR SDN TUN",
    "Middle East": "ARE BHR IRN IRQ ISR JOR KWT LBN OMN PSE QAT SAU SYR TUR YEM",
    "South Asia": "AFG BGD BTN IND LKA MDV NPL PAK",
    "Southeast Asia": "BRN IDN KHM LAO MMR MYS PHL SGP THA TLS VNM",
    "East Asia": "CHN HKG JPN KOR MAC MNG PRK TWN",
    "Caucasus and Central Asia": "ARM AZE GEO KAZ KGZ TJK TKM UZB",
    "Europe": (
        "ALA ALB AND AUT BEL BGR BIH BLR CHE CYP CZE DEU DNK ESP EST FIN FRA FRO GBR GGY GIB GRC HRV HUN "
        "IMN IRL ISL ITA JEY LIE LTU LUX LVA MCO MDA MKD MLT MNE NLD NOR POL PRT ROU RUS SJM SMR SRB SVK "
        "SVN SWE UKR VAT"
    ),
    "North America": "BMU CAN GRL SPM USA UMI",
    "Central America": "BLZ CRI GTM HND MEX NIC PAN SLV",
    "South America": "ARG BOL BRA BVT CHL COL ECU FLK GUF GUY PER PRY SGS SUR URY VEN",
    "Caribbean": (
        "ABW AIA ATG BES BHS BLM BRB CUB CUW CYM DMA DOM GLP GRD HTI JAM KNA LCA MAF MSR MTQ PRI SXM TCA "
        "TTO VCT VGB VIR"
    ),
    "Oceania": (
        "ASM AUS CCK COK CXR FJI FSM GUM HMD KIR MHL MNP NCL NFK NIU NRU NZL PCN PLW PNG PYF SLB TKL TON "
        "TUV VUT WLF WSM"
    ),
    "Antarctica": "ATA",
}


def main() -> None:
    region_of = {code: region for region, codes in REGIONS.items() for code in codes.split()}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    with (VOCAB / "natural_earth_110m_bboxes.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            boxes[row["iso2"]] = (
                float(row["min_lon"]), float(row["min_lat"]), float(row["max_lon"]), float(row["max_lat"])
            )
    rows = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_3):
        if country.alpha_3 not in region_of:
            raise SystemExit(f"no region assigned to {country.alpha_3} ({country.name})")
        box = boxes.get(country.alpha_2)
        name = getattr(country, "common_name", None) or country.name
        rec = {
            "iso3": country.alpha_3,
            "iso2": country.alpha_2,
            "iso_numeric": int(country.numeric),
            "country": name,
            "region": region_of[country.alpha_3],
            "min_lat": "", "min_lon": "", "max_lat": "", "max_lon": "",
        }
        if box is not None:
            min_lon, min_lat, max_lon, max_lat = box
            rec.update(
                min_lat=f"{max(-90.0, min_lat - PAD):.4f}", min_lon=f"{max(-180.0, min_lon - PAD):.4f}",
                max_lat=f"{min(90.0, max_lat + PAD):.4f}", max_lon=f"{min(180.0, max_lon + PAD):.4f}",
            )
        rows.append(rec)
    unknown = set(region_of) - {r["iso3"] for r in rows}
    if unknown:
        raise SystemExit(f"regions name unknown codes: {sorted(unknown)}")
    with (VOCAB / "countries.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} countries")


if __name__ == "__main__":
    main()
