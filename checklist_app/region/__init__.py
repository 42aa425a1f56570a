"""The upper level's views of its counties' data (a city, a province): plain functions."""
