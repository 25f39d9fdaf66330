// "Export PNG": the whole picture as it is drawn (every node, the edges, their labels, any
// highlight), rendered in the browser by html-to-image: nothing leaves the page.
import { getNodesBounds, getViewportForBounds } from "@xyflow/react";
import { toPng } from "html-to-image";

const PADDING = 40;
const MAX_SIDE = 4096;

export async function exportPng(container, nodes, fileName = "lineage.png") {
  const bounds = getNodesBounds(nodes);
  const scale = Math.min(1.5, MAX_SIDE / (bounds.width + 2 * PADDING), MAX_SIDE / (bounds.height + 2 * PADDING));
  const width = Math.ceil((bounds.width + 2 * PADDING) * scale);
  const height = Math.ceil((bounds.height + 2 * PADDING) * scale);
  const viewport = getViewportForBounds(bounds, width, height, scale / 2, scale, 0);
  const target = container.querySelector(".react-flow__viewport");
  const url = await toPng(target, {
    backgroundColor: "#ffffff",
    width,
    height,
    // The nodes' own buttons (expand, pick a column) are not part of the picture.
    filter: (el) => !(el.classList?.contains("node-expand")),
    style: { width: `${width}px`, height: `${height}px`, transform: `translate(${viewport.x}px, ${viewport.y}px) scale(${viewport.zoom})` },
  });
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.click();
}
