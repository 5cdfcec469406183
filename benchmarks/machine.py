"""The benchmarks' name for gan_course.machine (`from machine import machine_report` in benchmarks/)."""

from gan_course.machine import cpu_model, machine_report, main, matmul_peak

__all__ = ["cpu_model", "machine_report", "matmul_peak"]

if __name__ == "__main__":
    main()
