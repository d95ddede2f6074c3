/* Plane and box geometry for comparing annotations: areas, intersections and IoU of boxes, polygons,
 * rotated rectangles and cuboids, and a keypoint similarity. Pure: no I/O. */
#ifndef FL_GEOMETRY_H
#define FL_GEOMETRY_H
#include <stddef.h>

/* Axis-aligned boxes as [x, y, w, h]; IoU is 0 when a box has no area. */
double geo_box_iou(const double a[4], const double b[4]);

/* Polygons are n points stored x0 y0 x1 y1 … and closed implicitly. Positive when counter-clockwise
 * in a y-up frame (clockwise on screen, where y points down). */
double geo_polygon_signed_area(const double *xy, size_t n);
double geo_polygon_area(const double *xy, size_t n);

/* Exact area of the intersection of two simple polygons, convex or concave: a vertical-slab sweep.
 * Between consecutive x of the vertices and edge crossings no edges cross, so the length of the
 * intersection of the two cross-sections is linear in x and the slab's area is its width times that
 * length at mid-slab. Shared or collinear edges need no special case. NAN when memory runs out. */
double geo_polygon_intersection_area(const double *a, size_t na, const double *b, size_t nb);
/* IoU of two simple polygons; 0 when both are degenerate, NAN when memory runs out. */
double geo_polygon_iou(const double *a, size_t na, const double *b, size_t nb);

/* Area of the intersection of two convex polygons (either orientation) by Sutherland–Hodgman
 * clipping. NAN when memory runs out. */
double geo_convex_intersection_area(const double *a, size_t na, const double *b, size_t nb);

/* A rectangle of length l along its heading yaw (radians from the x axis) and width w. */
struct geo_rect {
    double cx, cy, l, w, yaw;
};
/* The corners, counter-clockwise (y up). */
void geo_rect_corners(const struct geo_rect *r, double out[8]);
double geo_rect_intersection_area(const struct geo_rect *a, const struct geo_rect *b);
double geo_rect_iou(const struct geo_rect *a, const struct geo_rect *b);

/* A lidar cuboid: centre, size [l, w, h] and yaw about the vertical z axis. */
struct geo_cuboid {
    double center[3], size[3], yaw;
};
/* IoU of the footprints in bird's-eye view. */
double geo_cuboid_bev_iou(const struct geo_cuboid *a, const struct geo_cuboid *b);
/* 3D IoU as in the KITTI evaluation: BEV intersection × overlap of the z ranges, over the union of
 * the volumes. */
double geo_cuboid_iou_3d(const struct geo_cuboid *a, const struct geo_cuboid *b);

/* Keypoints are n points stored x y v (v 0 = not labelled). geo_oks is COCO's object keypoint
 * similarity of dt against gt: the mean over the points gt labels of exp(-d² / (2 s² κ²)), 0 where dt
 * has no point, with κ = GEO_OKS_KAPPA and s² the area of the bounding box of gt's points (at least
 * GEO_OKS_MIN_AREA: one point has no box). When gt labels none: 1 if dt labels none, else 0. */
#define GEO_OKS_KAPPA 0.1
#define GEO_OKS_MIN_AREA 1024.0 /* 32², COCO's bound for a small object */
double geo_oks(const double *gt, const double *dt, size_t n);
/* The symmetric form for comparing two workers: the mean of the OKS in both directions, both scaled
 * by the box of every point either labels, so a worker who skipped a point is not a different object. */
double geo_keypoint_similarity(const double *a, const double *b, size_t n);

/* Wraps an angle into [-π, π]. */
double geo_wrap_angle(double a);

#endif
