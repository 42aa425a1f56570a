"""Files in and out: the downloads people open (CSV, XLSX) and the lists they upload (the school
list, a school's roster)."""
