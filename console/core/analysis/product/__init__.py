"""Product analytics: what is counted (event references and measures), funnels, KPIs, the
report and dashboards. No Qt and no store here; :mod:`console.core.store` reads a store into
these."""
