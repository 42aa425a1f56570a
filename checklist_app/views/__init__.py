"""One blueprint per user of the portal: the school, the staff member signing, the bureau."""
